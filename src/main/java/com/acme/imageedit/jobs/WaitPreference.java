package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * How long a submit waits for its job: RFC 7240 {@code Prefer: wait=N} (seconds), capped by {@code jobs.max-wait}.
 * Without it, the OpenAI-style call (no {@code async=true}) waits up to the cap and the async call does not wait.
 * A malformed preference is ignored, as RFC 7240 asks.
 */
final class WaitPreference {

    private static final Pattern WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*\"?(\\d{1,9})\"?(?:$|[,;\\s])",
            Pattern.CASE_INSENSITIVE);

    private WaitPreference() {
    }

    /** The requested wait in seconds, or null when the header asks for none. */
    static @Nullable Long requested(@Nullable String prefer) {
        if (prefer == null) {
            return null;
        }
        Matcher m = WAIT.matcher(prefer);
        return m.find() ? Long.parseLong(m.group(1)) : null;
    }

    static Duration bound(boolean async, @Nullable Long requested, Duration max) {
        if (requested == null) {
            return async ? Duration.ZERO : max;
        }
        Duration wanted = Duration.ofSeconds(requested);
        return wanted.compareTo(max) < 0 ? wanted : max;
    }
}
