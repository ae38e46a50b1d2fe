package com.acme.imageedit.upstream;

/**
 * The call being made to TheRouter: what a failure means depends on it (a paid submit or an idempotent read), and it
 * names the call in the meters. The client sets it on every request it sends (as the request attribute
 * {@link #ATTRIBUTE}), so that a meter never has to guess it from the URL.
 */
public enum UpstreamCall {
    SUBMIT_EDIT("submit", "submit_edit"),
    SUBMIT_GENERATION("submit", "submit_generation"),
    POLL("poll", "poll"),
    DOWNLOAD("download", "download");

    /** The request attribute under which the client records the call a request belongs to. */
    static final String ATTRIBUTE = UpstreamCall.class.getName();

    private final String label;
    private final String tag;

    UpstreamCall(String label, String tag) {
        this.label = label;
        this.tag = tag;
    }

    /** A submit may create (and bill) a job upstream; the other calls only read. */
    public boolean isSubmit() {
        return this == SUBMIT_EDIT || this == SUBMIT_GENERATION;
    }

    /** The meters' {@code kind} tag: {@code submit_edit}, {@code submit_generation}, {@code poll}, {@code download}. */
    public String tag() {
        return tag;
    }

    /** For messages: "submit", "poll" or "download". */
    @Override
    public String toString() {
        return label;
    }
}
