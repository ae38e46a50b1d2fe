package com.acme.imageedit.simulator;

import java.util.concurrent.atomic.LongAdder;

/** The call counters; job outcome counts are derived from the jobs themselves, so they are not here. */
final class Counters {

    final LongAdder submitsAccepted = new LongAdder();
    final LongAdder submitsRejected = new LongAdder();
    final LongAdder submit429s = new LongAdder();
    final LongAdder submit5xxs = new LongAdder();
    final LongAdder submitTimeouts = new LongAdder();
    final LongAdder rateLimited429s = new LongAdder();
    final LongAdder unauthorized = new LongAdder();
    final LongAdder polls = new LongAdder();
    final LongAdder contentCalls = new LongAdder();
    final LongAdder fileDownloads = new LongAdder();
    final LongAdder duplicateSubmits = new LongAdder();
    final LongAdder outageAnswers = new LongAdder();
    final LongAdder connectionResets = new LongAdder();
    final LongAdder accountRequests = new LongAdder();
    final LongAdder lengthRequired = new LongAdder();

    void reset() {
        for (LongAdder adder : new LongAdder[] {submitsAccepted, submitsRejected, submit429s, submit5xxs,
                submitTimeouts, rateLimited429s, unauthorized, polls, contentCalls, fileDownloads, duplicateSubmits,
                outageAnswers, connectionResets, accountRequests, lengthRequired}) {
            adder.reset();
        }
    }
}
