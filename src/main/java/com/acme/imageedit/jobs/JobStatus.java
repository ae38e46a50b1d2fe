package com.acme.imageedit.jobs;

/**
 * The job state machine (DESIGN §3). Terminal states never change again. Public names are TheRouter's, so that clients
 * written for TheRouter keep working: SUBMITTING is still {@code queued} to them.
 */
public enum JobStatus {
    QUEUED("queued"),
    SUBMITTING("queued"),
    RUNNING("in_progress"),
    SUCCEEDED("succeeded"),
    FAILED("failed"),
    CANCELLED("cancelled"),
    EXPIRED("expired");

    private final String publicName;

    JobStatus(String publicName) {
        this.publicName = publicName;
    }

    public String publicName() {
        return publicName;
    }

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == EXPIRED;
    }
}
