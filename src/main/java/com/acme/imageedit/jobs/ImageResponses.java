package com.acme.imageedit.jobs;

import java.util.Set;

import org.springframework.http.CacheControl;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * How a stored image leaves the service, on the team's {@code /content} and on the anonymous signed links alike: as
 * the image type its bytes proved when it was stored (PNG, JPEG, WEBP, GIF), never as a label; anything else (a row
 * from before results were judged by their bytes) as an {@code application/octet-stream} attachment. Always with
 * {@code nosniff} and a sandboxing policy, so that no response of ours on the API's origin can run script there.
 */
final class ImageResponses {

    static final Set<String> IMAGE_TYPES = Set.of("image/png", "image/jpeg", "image/webp", "image/gif");
    static final String SANDBOX = "sandbox";

    private ImageResponses() {
    }

    static ResponseEntity<byte[]> of(String jobId, StoredImage image, CacheControl cache) {
        ResponseEntity.BodyBuilder response = ResponseEntity.ok()
                .header("X-Content-Type-Options", "nosniff")
                .header("Content-Security-Policy", SANDBOX)
                .cacheControl(cache)
                .eTag('"' + jobId + '"');
        if (IMAGE_TYPES.contains(image.contentType())) {
            response.contentType(MediaType.parseMediaType(image.contentType()));
        } else {
            response.contentType(MediaType.APPLICATION_OCTET_STREAM)
                    .header(HttpHeaders.CONTENT_DISPOSITION,
                            ContentDisposition.attachment().filename(jobId + ".bin").build().toString());
        }
        return response.body(image.bytes());
    }
}
