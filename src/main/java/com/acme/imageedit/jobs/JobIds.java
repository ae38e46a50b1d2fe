package com.acme.imageedit.jobs;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/** Opaque, unguessable job ids: {@code img_} and 26 base-32 characters (130 random bits), never sequential. */
final class JobIds {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final Pattern VALID = Pattern.compile("img_[a-z2-7]{26}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private JobIds() {
    }

    static String next() {
        byte[] bytes = new byte[17];
        RANDOM.nextBytes(bytes);
        StringBuilder id = new StringBuilder("img_");
        for (int i = 0; i < 26; i++) {
            int bit = i * 5;
            int value = ((bytes[bit / 8] & 0xFF) << 8 | (bytes[bit / 8 + 1] & 0xFF)) >> (11 - bit % 8) & 0x1F;
            id.append(ALPHABET[value]);
        }
        return id.toString();
    }

    /** Whether a string can be one of our ids at all: anything else is answered 404 without touching the database. */
    static boolean isWellFormed(String id) {
        return id != null && VALID.matcher(id).matches();
    }
}
