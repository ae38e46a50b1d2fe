package com.acme.imageedit.upstream;

/** Which kind of call failed: the same failure means different things for a paid submit and an idempotent read. */
enum UpstreamCall {
    SUBMIT("submit"), POLL("poll"), DOWNLOAD("download");

    private final String label;

    UpstreamCall(String label) {
        this.label = label;
    }

    @Override
    public String toString() {
        return label;
    }
}
