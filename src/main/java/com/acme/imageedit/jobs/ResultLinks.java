package com.acme.imageedit.jobs;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Signs and checks the links in {@code unsigned_urls}: like a storage pre-signed URL, a link names one job's result and
 * its expiry, and carries an HMAC-SHA256 of both under {@code jobs.link-secret}, so it works without the team key
 * until it expires (when the result's retention ends), and cannot be bent to another job or a later expiry.
 */
@Component
class ResultLinks {

    static final String PATH = "/files/results/";
    private static final Logger log = LoggerFactory.getLogger(ResultLinks.class);
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;

    ResultLinks(JobsProperties properties) {
        byte[] secret;
        if (properties.linkSecret() == null || properties.linkSecret().isBlank()) {
            secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            log.warn("jobs.link-secret is not set: signing result links with a random key of this process. Links "
                    + "made here fail on other replicas and after a restart; set the same secret on every replica.");
        } else {
            secret = properties.linkSecret().getBytes(StandardCharsets.UTF_8);
        }
        this.key = new SecretKeySpec(secret, ALGORITHM);
    }

    /** The path and query of a signed link, to be put after the service's base URL. */
    String path(String jobId, Instant expires) {
        long at = expires.getEpochSecond();
        return PATH + jobId + "?expires=" + at + "&signature=" + sign(jobId, at);
    }

    /** Whether {@code signature} is ours for this job and expiry (compared in constant time). */
    boolean valid(String jobId, long expires, String signature) {
        byte[] expected = sign(jobId, expires).getBytes(StandardCharsets.US_ASCII);
        return signature != null && MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII));
    }

    private String sign(String jobId, long expires) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            byte[] digest = mac.doFinal((jobId + "\n" + expires).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
