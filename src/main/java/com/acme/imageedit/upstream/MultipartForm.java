package com.acme.imageedit.upstream;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;

import org.springframework.http.MediaType;

/**
 * A {@code multipart/form-data} body built in memory, so that it goes out with a {@code Content-Length}: Spring's
 * multipart writer streams parts as they come and sends {@code Transfer-Encoding: chunked}, which gateways and
 * serverless front ends before model providers may refuse (411 Length Required) or mishandle. The boundary is random,
 * as browsers make it, so that no prompt can contain it by accident. Text fields have no part headers but the
 * disposition, as a browser sends them.
 */
final class MultipartForm {

    private static final char[] BOUNDARY_CHARS =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String boundary;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    MultipartForm() {
        char[] chars = new char[32];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = BOUNDARY_CHARS[RANDOM.nextInt(BOUNDARY_CHARS.length)];
        }
        this.boundary = "----image-edit-proxy-" + new String(chars);
    }

    /** A text field; its name is ours (ASCII, no quotes), its value any text. */
    MultipartForm field(String name, String value) {
        part(name, null, null);
        write(value.getBytes(StandardCharsets.UTF_8));
        write("\r\n");
        return this;
    }

    MultipartForm file(String name, String filename, String contentType, byte[] bytes) {
        part(name, filename, contentType);
        write(bytes);
        write("\r\n");
        return this;
    }

    /** The header value to send with the body, boundary included. */
    MediaType contentType() {
        return new MediaType(MediaType.MULTIPART_FORM_DATA, Map.of("boundary", boundary));
    }

    /** The finished body; the form cannot be added to afterwards. */
    byte[] toBytes() {
        write("--" + boundary + "--\r\n");
        return body.toByteArray();
    }

    private void part(String name, String filename, String contentType) {
        StringBuilder head = new StringBuilder("--").append(boundary).append("\r\n")
                .append("Content-Disposition: form-data; name=\"").append(name).append('"');
        if (filename != null) {
            head.append("; filename=\"").append(filename).append('"');
        }
        head.append("\r\n");
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        write(head.append("\r\n").toString());
    }

    private void write(String ascii) {
        write(ascii.getBytes(StandardCharsets.UTF_8));
    }

    private void write(byte[] bytes) {
        body.write(bytes, 0, bytes.length);
    }
}
