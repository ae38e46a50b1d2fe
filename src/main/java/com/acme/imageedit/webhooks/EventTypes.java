package com.acme.imageedit.webhooks;

import java.util.List;

/** The events a subscription may ask for (the trigger in V4__webhooks.sql writes exactly these). */
final class EventTypes {

    static final String IN_PROGRESS = "job.in_progress";
    static final List<String> TERMINAL = List.of("job.succeeded", "job.failed", "job.cancelled", "job.expired");
    static final List<String> ALL = List.of(IN_PROGRESS, "job.succeeded", "job.failed", "job.cancelled",
            "job.expired");

    private EventTypes() {
    }
}
