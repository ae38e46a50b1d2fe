package com.acme.imageedit.jobs;

/**
 * A submit's outcome: the job and the 202 body it was (first) answered with. {@code replayed} when an
 * {@code Idempotency-Key} named an earlier submit, whose stored body is answered again byte for byte.
 */
record Accepted(Job job, byte[] body, boolean replayed) {
}
