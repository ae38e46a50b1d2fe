package com.acme.imageedit.webhooks;

import java.time.Instant;
import java.util.List;

import io.r2dbc.spi.Readable;

/** One row of {@code webhook_subscriptions}, secrets left sealed (see {@link SecretCipher}). */
record Subscription(
        String id,
        String teamId,
        String url,
        List<String> events,
        String description,
        boolean enabled,
        String disabledReason,
        String sealedSecret,
        String sealedPreviousSecret,
        Instant previousExpiresAt,
        Instant createdAt,
        Instant updatedAt) {

    static final String COLUMNS = """
            id, team_id, url, events, description, enabled, disabled_reason, secret, previous_secret,
            previous_expires_at, created_at, updated_at""";

    static Subscription from(Readable row) {
        return new Subscription(
                row.get("id", String.class),
                row.get("team_id", String.class),
                row.get("url", String.class),
                List.of(row.get("events", String[].class)),
                row.get("description", String.class),
                Boolean.TRUE.equals(row.get("enabled", Boolean.class)),
                row.get("disabled_reason", String.class),
                row.get("secret", String.class),
                row.get("previous_secret", String.class),
                row.get("previous_expires_at", Instant.class),
                row.get("created_at", Instant.class),
                row.get("updated_at", Instant.class));
    }

    @Override
    public String toString() {
        return "Subscription[" + id + " of " + teamId + "]";
    }
}
