package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Signing per Standard Webhooks v1, proven against the specification's published test vector. */
class StandardWebhooksTest {

    /** From the standard-webhooks repository's libraries (the same vector in every language's tests). */
    @Test
    void reproducesThePublishedTestVector() {
        String signature = StandardWebhooks.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, "{\"test\": 2432232314}");

        assertThat(signature).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void duringARotationEverySecretSignsSpaceSeparatedCurrentFirst() {
        String current = StandardWebhooks.newSecret();
        String previous = StandardWebhooks.newSecret();
        SigningSecrets secrets = new SigningSecrets(current, previous, Instant.now().plus(Duration.ofHours(1)));

        String header = StandardWebhooks.signatures(secrets.active(Instant.now()), "msg_1", 1700000000L, "{}");

        assertThat(header.split(" ")).containsExactly(
                StandardWebhooks.sign(current, "msg_1", 1700000000L, "{}"),
                StandardWebhooks.sign(previous, "msg_1", 1700000000L, "{}"));
        assertThat(secrets.active(Instant.now().plus(Duration.ofHours(2)))).containsExactly(current);
    }

    @Test
    void secretsAreWhsecAndBase64OfThirtyTwoRandomBytes() {
        String secret = StandardWebhooks.newSecret();

        assertThat(secret).startsWith("whsec_");
        assertThat(Base64.getDecoder().decode(secret.substring(6))).hasSize(32);
        assertThat(StandardWebhooks.newSecret()).isNotEqualTo(secret);
        assertThat(new SigningSecrets(secret, null, null).toString()).doesNotContain(secret.substring(6));
    }
}
