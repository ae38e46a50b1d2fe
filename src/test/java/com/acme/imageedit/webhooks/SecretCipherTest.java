package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sealed webhook secrets: key ids, the owner bound as associated data, several keys, old formats, no key at all. */
class SecretCipherTest {

    private static final String OLD = key('o');
    private static final String NEW = key('n');

    @Test
    void aSecretIsSealedUnderTheCurrentKeysIdAndOpensOnlyForItsOwner() {
        SecretCipher cipher = cipher(NEW);
        String sealed = cipher.seal("whsec_abc", SecretOwner.subscription("whsub_1"));
        assertThat(sealed).startsWith("v2:" + cipher.currentKeyId() + ":").doesNotContain("whsec_abc");
        assertThat(cipher.currentKeyId()).hasSize(12)
                .isEqualTo(SecretCipher.keyId(Base64.getDecoder().decode(NEW)));
        assertThat(cipher.open(sealed, SecretOwner.subscription("whsub_1"))).isEqualTo("whsec_abc");
        // copied into another row: the associated data does not match
        assertThatThrownBy(() -> cipher.open(sealed, SecretOwner.subscription("whsub_2")))
                .hasMessageContaining("moved from another row");
        assertThatThrownBy(() -> cipher.open(sealed, SecretOwner.team("whsub_1")))
                .hasMessageContaining("moved from another row");
        assertThat(cipher.needsResealing(sealed)).isFalse();
    }

    @Test
    void withANewKeyOldSecretsStillOpenAndAreMarkedForResealing() {
        String underOld = cipher(OLD).seal("whsec_old", SecretOwner.team("demo-a"));
        SecretCipher rotated = cipher(NEW, OLD);
        assertThat(rotated.open(underOld, SecretOwner.team("demo-a"))).isEqualTo("whsec_old");
        assertThat(rotated.needsResealing(underOld)).isTrue();
        String resealed = rotated.seal(rotated.open(underOld, SecretOwner.team("demo-a")), SecretOwner.team("demo-a"));
        assertThat(resealed).startsWith("v2:" + rotated.currentKeyId() + ":");
        // once the old key is gone: a message that names the missing key, not a stack of crypto errors
        assertThatThrownBy(() -> cipher(NEW).open(underOld, SecretOwner.team("demo-a")))
                .hasMessageContaining("encrypted under key " + cipher(OLD).currentKeyId() + ", which is not configured");
        assertThat(cipher(NEW).open(resealed, SecretOwner.team("demo-a"))).isEqualTo("whsec_old");
    }

    @Test
    void secretsOfEarlierVersionsAreRead() {
        assertThat(cipher(NEW).open("plain:whsec_plain", SecretOwner.team("t"))).isEqualTo("whsec_plain");
        assertThat(cipher(NEW).needsResealing("plain:whsec_plain")).isTrue();
    }

    @Test
    void theServiceRefusesToStartWithoutAKey() {
        assertThatThrownBy(() -> cipher(null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("webhooks.secret-encryption-key").hasMessageContaining("openssl rand -base64 32");
        assertThatThrownBy(() -> cipher(Base64.getEncoder().encodeToString(new byte[16])))
                .hasMessageContaining("32 bytes, got 16");
    }

    private static SecretCipher cipher(String current, String... previous) {
        return new SecretCipher(new WebhooksProperties(true, List.of(Duration.ZERO), 0.1, Duration.ofHours(1),
                Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofMinutes(1), 32, 64, 4, Duration.ofSeconds(1),
                Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofHours(24), false, List.of(), current,
                List.of(previous), Duration.ofSeconds(5), Duration.ofSeconds(15)));
    }

    private static String key(char fill) {
        return Base64.getEncoder().encodeToString(String.valueOf(fill).repeat(32).getBytes());
    }
}
