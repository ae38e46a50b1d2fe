package com.acme.imageedit.webhooks;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Whose signing secret a sealed value is: bound into its encryption ({@link SecretCipher}), so that it opens only in
 * the row it was written for. A secret and its rotated-out predecessor share the owner.
 */
record SecretOwner(Kind kind, String id) {

    enum Kind { TEAM, SUBSCRIPTION }

    static SecretOwner team(String teamId) {
        return new SecretOwner(Kind.TEAM, teamId);
    }

    static SecretOwner subscription(String subscriptionId) {
        return new SecretOwner(Kind.SUBSCRIPTION, subscriptionId);
    }

    byte[] associatedData() {
        return ("webhook-secret:" + kind + ":" + id).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(Locale.ROOT) + " " + id;
    }
}
