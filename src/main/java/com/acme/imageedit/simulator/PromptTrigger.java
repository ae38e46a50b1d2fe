package com.acme.imageedit.simulator;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Markers in a prompt that force a behaviour, so that tests need not depend on the random mix. A trigger overrides
 * only the draw it governs: {@code [sim:fail]} fixes the job's outcome but the submit may still get a random 429.
 */
enum PromptTrigger {
    /** The job ends {@code failed}. */
    FAIL("[sim:fail]"),
    /** The job ends {@code expired}. */
    EXPIRE("[sim:expire]"),
    /** The submit is refused with 400. */
    REJECT("[sim:reject]"),
    /** The job never leaves {@code in_progress}. */
    SLOW("[sim:slow]"),
    /** The job is created but the 202 is held back by the submit-timeout delay (ambiguous outcome). */
    HANG("[sim:hang]"),
    /** The job is created but the connection breaks in the middle of the 202 (ambiguous outcome, at once). */
    RESET("[sim:reset]"),
    /** The job succeeds, but its result file is an SVG drawing ({@code image/svg+xml}), not a picture we store. */
    SVG_RESULT("[sim:svg]"),
    /** The job succeeds, but its result link answers 200 with an HTML page (a storage login page). */
    HTML_RESULT("[sim:html]"),
    /** The job succeeds, but its result link answers 200 with an empty body. */
    EMPTY_RESULT("[sim:empty]");

    private final String marker;

    PromptTrigger(String marker) {
        this.marker = marker;
    }

    static Set<PromptTrigger> in(String prompt) {
        Set<PromptTrigger> found = EnumSet.noneOf(PromptTrigger.class);
        String lower = prompt.toLowerCase(Locale.ROOT);
        for (PromptTrigger trigger : values()) {
            if (lower.contains(trigger.marker)) {
                found.add(trigger);
            }
        }
        return found;
    }
}
