package com.acme.imageedit.webhooks;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A signing secret and, during a rotation's overlap, the one it replaced (both in the clear, opened by
 * {@link SecretCipher}). Never logged: {@link #toString()} hides them.
 */
record SigningSecrets(String current, String previous, Instant previousExpiresAt) {

    /** The secrets that sign now: the current one first, then the previous one until its overlap ends. */
    List<String> active(Instant now) {
        List<String> active = new ArrayList<>(2);
        active.add(current);
        if (previous != null && previousExpiresAt != null && previousExpiresAt.isAfter(now)) {
            active.add(previous);
        }
        return active;
    }

    @Override
    public String toString() {
        return "SigningSecrets[hidden]";
    }
}
