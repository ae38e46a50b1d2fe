package com.acme.imageedit.simulator;

/** How a simulated job ends, decided at submit so that the completion instant is known up front. */
enum JobOutcome {
    SUCCEEDED("succeeded"),
    FAILED("failed"),
    EXPIRED("expired"),
    /** {@code [sim:slow]}: stays {@code in_progress} forever, to exercise the proxy's deadline. */
    NEVER("in_progress");

    private final String status;

    JobOutcome(String status) {
        this.status = status;
    }

    String status() {
        return status;
    }
}
