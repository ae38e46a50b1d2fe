package com.acme.imageedit.jobs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

import com.acme.imageedit.system.ApiException;

/**
 * An {@code Idempotency-Key} and the fingerprint of the request it came with. The fingerprint is taken from the
 * validated request, so that the same submit as multipart or as JSON, with fields in any order, is the same request.
 * {@code response_format} is left out: it shapes a waiting answer, not the job.
 */
record Idempotency(String key, String requestHash) {

    static final int MAX_KEY_LENGTH = 255;

    static Idempotency of(String key, EditRequest request) {
        if (key.isBlank() || key.length() > MAX_KEY_LENGTH
                || key.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
            throw ApiException.badRequest("Idempotency-Key", "Idempotency-Key must be 1 to " + MAX_KEY_LENGTH
                    + " printable ASCII characters");
        }
        return new Idempotency(key, fingerprint(request));
    }

    static String fingerprint(EditRequest request) {
        MessageDigest digest = sha256();
        field(digest, request.operation().name());
        field(digest, request.model().id());
        field(digest, request.prompt());
        field(digest, request.image() == null ? "" : HexFormat.of().formatHex(sha256().digest(request.image())));
        field(digest, String.valueOf(request.size()));
        field(digest, String.valueOf(request.seed()));
        field(digest, String.valueOf(request.cfg()));
        field(digest, String.valueOf(request.numInferenceSteps()));
        field(digest, String.valueOf(request.deadline().toMillis()));
        for (Map.Entry<String, String> entry : request.metadata().entrySet()) {
            field(digest, entry.getKey());
            field(digest, entry.getValue());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Length-prefixed, so that no two different field lists hash alike by shifting text between fields. */
    private static void field(MessageDigest digest, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
        digest.update(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
