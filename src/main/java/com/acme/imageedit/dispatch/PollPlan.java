package com.acme.imageedit.dispatch;

import java.util.Arrays;

/**
 * When to poll a running job, as offsets from its submit: the listed offsets, then every {@code tailMillis} after the
 * last one. Immutable; a job's next poll depends only on the plan and its age, so nothing about it lives in memory.
 */
record PollPlan(long[] offsetsMillis, long tailMillis) {

    PollPlan {
        if (offsetsMillis.length == 0 || tailMillis <= 0) {
            throw new IllegalArgumentException("a plan needs at least one offset and a positive tail interval");
        }
        offsetsMillis = offsetsMillis.clone();
    }

    /** TheRouter's own loop, and ours before anything was learned: a first poll, then a fixed interval. */
    static PollPlan fixed(long firstMillis, long intervalMillis) {
        return new PollPlan(new long[] {firstMillis}, intervalMillis);
    }

    long firstOffset() {
        return offsetsMillis[0];
    }

    /** The first poll offset strictly after {@code ageMillis}. */
    long nextOffset(long ageMillis) {
        int i = Arrays.binarySearch(offsetsMillis, ageMillis);
        int next = i >= 0 ? i + 1 : -i - 1;
        if (next < offsetsMillis.length) {
            return offsetsMillis[next];
        }
        long last = offsetsMillis[offsetsMillis.length - 1];
        long steps = (ageMillis - last) / tailMillis + 1;
        return last + steps * tailMillis;
    }

    /** The offset of poll number {@code k} (from 0), the tail's included. */
    long offset(int k) {
        if (k < offsetsMillis.length) {
            return offsetsMillis[k];
        }
        return offsetsMillis[offsetsMillis.length - 1] + (long) (k - offsetsMillis.length + 1) * tailMillis;
    }

    /** How many polls a job that finishes at {@code doneMillis} needs, the one that sees it finished included. */
    int pollsUntil(long doneMillis) {
        int i = Arrays.binarySearch(offsetsMillis, doneMillis);
        int at = i >= 0 ? i : -i - 1;
        if (at < offsetsMillis.length) {
            return at + 1;
        }
        long last = offsetsMillis[offsetsMillis.length - 1];
        return offsetsMillis.length + (int) ((doneMillis - last + tailMillis - 1) / tailMillis);
    }

    /** When the poll that sees a job finished at {@code doneMillis} happens. */
    long detectionOffset(long doneMillis) {
        return doneMillis <= offsetsMillis[0] ? offsetsMillis[0] : nextOffset(doneMillis - 1);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PollPlan p && tailMillis == p.tailMillis && Arrays.equals(offsetsMillis, p.offsetsMillis);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(offsetsMillis) + Long.hashCode(tailMillis);
    }

    @Override
    public String toString() {
        return "PollPlan" + Arrays.toString(offsetsMillis) + " then every " + tailMillis + " ms";
    }
}
