package com.acme.imageedit.simulator;

import java.time.Instant;

/**
 * One accepted job. Its whole timeline is fixed at submit, so a poll only compares instants and needs no scheduler.
 *
 * @param runningAt   when it stops reporting {@code queued}
 * @param completesAt when it reaches its terminal status, or {@code null} if it never does
 */
record SimJob(String id, String model, String prompt, Instant createdAt, Instant runningAt, Instant completesAt,
              JobOutcome outcome) {

    String statusAt(Instant now) {
        if (now.isBefore(runningAt)) {
            return "queued";
        }
        if (completesAt == null || now.isBefore(completesAt)) {
            return "in_progress";
        }
        return outcome.status();
    }

    boolean succeededAt(Instant now) {
        return outcome == JobOutcome.SUCCEEDED && !now.isBefore(completesAt);
    }
}
