package com.acme.imageedit.webhooks;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.springframework.stereotype.Component;

/**
 * Keeps webhook signing secrets unreadable in the database (and its backups): AES-256-GCM under
 * {@code webhooks.secret-encryption-key}, which the service refuses to start without.
 * <p>
 * A sealed secret reads {@code v2:<key id>:<base64 of IV and ciphertext>}. The key id is the start of the key's own
 * SHA-256, so nobody has to name keys, and the owner of the secret (its team or subscription) is bound as associated
 * data, so a ciphertext copied into another row does not open there. Rotation: configure the new key as
 * {@code secret-encryption-key} and the old one under {@code previous-encryption-keys} (both decrypt, the new one
 * encrypts), then re-encrypt the stored secrets ({@code POST /v1/admin/webhook-secrets/re-encrypt},
 * {@link SecretReencryption}), then drop the old key. Secrets stored by older versions ({@code v1:} without key id or
 * associated data, {@code plain:}) are still read, and re-encryption moves them to the current key.
 */
@Component
class SecretCipher {

    private static final String SEALED = "v2:";
    private static final String LEGACY_SEALED = "v1:";
    private static final String PLAIN = "plain:";
    private static final int IV_BYTES = 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String currentId;
    private final Map<String, SecretKey> keys = new LinkedHashMap<>();

    SecretCipher(WebhooksProperties properties) {
        String configured = properties.secretEncryptionKey();
        if (configured == null || configured.isBlank()) {
            throw new IllegalStateException("webhooks.secret-encryption-key (WEBHOOKS_SECRET_ENCRYPTION_KEY) is not "
                    + "set: webhook signing secrets are stored encrypted and need a key. Give it base64 of 32 random "
                    + "bytes (openssl rand -base64 32) and keep it: secrets encrypted under it cannot be read without "
                    + "it. The Helm chart generates one; test-run and compose use a public demo key.");
        }
        List<String> all = new ArrayList<>();
        all.add(configured);
        all.addAll(properties.previousEncryptionKeys());
        for (String encoded : all) {
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(encoded.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a webhooks encryption key is not valid base64");
            }
            if (bytes.length != 32) {
                throw new IllegalArgumentException("a webhooks encryption key must be base64 of 32 bytes, got "
                        + bytes.length);
            }
            keys.putIfAbsent(keyId(bytes), new SecretKeySpec(bytes, "AES"));
        }
        currentId = keys.keySet().iterator().next();
    }

    /** The id of the key that encrypts: the first 12 hex digits of its SHA-256 (not secret; names it in logs). */
    String currentKeyId() {
        return currentId;
    }

    String seal(String secret, SecretOwner owner) {
        try {
            byte[] iv = new byte[IV_BYTES];
            RANDOM.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, keys.get(currentId), new GCMParameterSpec(128, iv));
            cipher.updateAAD(owner.associatedData());
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            return SEALED + currentId + ":" + Base64.getEncoder().encodeToString(
                    ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not encrypt a webhook secret", e);
        }
    }

    String open(String stored, SecretOwner owner) {
        if (stored.startsWith(PLAIN)) {
            return stored.substring(PLAIN.length());
        }
        if (stored.startsWith(LEGACY_SEALED)) {
            byte[] all = Base64.getDecoder().decode(stored.substring(LEGACY_SEALED.length()));
            for (SecretKey key : keys.values()) {
                try {
                    return decrypt(key, all, null);
                } catch (GeneralSecurityException wrongKey) {
                    // v1 names no key: the next configured one may be it
                }
            }
            throw new IllegalStateException("a webhook secret of the old format (v1) opens with none of the configured "
                    + "keys; add the key it was encrypted with under webhooks.previous-encryption-keys");
        }
        if (!stored.startsWith(SEALED)) {
            throw new IllegalStateException("webhook secret in an unknown format");
        }
        int colon = stored.indexOf(':', SEALED.length());
        String keyId = stored.substring(SEALED.length(), colon);
        SecretKey key = keys.get(keyId);
        if (key == null) {
            throw new IllegalStateException("a webhook secret is encrypted under key " + keyId + ", which is not "
                    + "configured; add that key under webhooks.previous-encryption-keys");
        }
        try {
            return decrypt(key, Base64.getDecoder().decode(stored.substring(colon + 1)), owner.associatedData());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("a webhook secret of " + owner + " does not open under key " + keyId
                    + " (moved from another row, or altered)", e);
        }
    }

    /** Whether {@code stored} is under an older key or format, so that re-encryption should move it. */
    boolean needsResealing(String stored) {
        return !stored.startsWith(SEALED + currentId + ":");
    }

    private static String decrypt(SecretKey key, byte[] all, byte[] associatedData) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, all, 0, IV_BYTES));
        if (associatedData != null) {
            cipher.updateAAD(associatedData);
        }
        return new String(cipher.doFinal(all, IV_BYTES, all.length - IV_BYTES), StandardCharsets.UTF_8);
    }

    static String keyId(byte[] key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key)).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
