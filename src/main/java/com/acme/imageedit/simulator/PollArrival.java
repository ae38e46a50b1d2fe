package com.acme.imageedit.simulator;

import java.time.Instant;

/** One served poll: the upstream job id asked for and when the request arrived. */
public record PollArrival(String upstreamId, Instant at) {
}
