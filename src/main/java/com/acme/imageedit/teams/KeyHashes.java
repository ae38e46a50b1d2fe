package com.acme.imageedit.teams;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/** API keys are stored and compared only as SHA-256 hashes. */
final class KeyHashes {

    static final String PATTERN = "[0-9a-f]{64}";
    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyHashes() {
    }

    /** Hex SHA-256 of the key's UTF-8 bytes: what {@code printf %s "$KEY" | sha256sum} prints. */
    static String hash(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    /**
     * Refuses anything but hex SHA-256 hashes in configuration, with a message that names where the bad entry is but
     * never echoes it: a key pasted where its hash belongs must not end up in a start-up failure's log lines.
     */
    static void requireHashes(String where, List<String> hashes) {
        for (int i = 0; i < hashes.size(); i++) {
            if (hashes.get(i) == null || !hashes.get(i).matches(PATTERN)) {
                throw new IllegalArgumentException(where + "[" + i + "] is not a hex SHA-256 (64 characters 0-9a-f). "
                        + "Configure the hash of a key, never the key: printf %s \"$KEY\" | sha256sum");
            }
        }
    }

    /** Compares two hashes in time independent of where they differ. */
    static boolean same(String hashA, String hashB) {
        return MessageDigest.isEqual(hashA.getBytes(StandardCharsets.US_ASCII),
                hashB.getBytes(StandardCharsets.US_ASCII));
    }

    /** A fresh key: 256 random bits, URL-safe, with a prefix that makes leaked keys easy to grep for. */
    static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "iep_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
