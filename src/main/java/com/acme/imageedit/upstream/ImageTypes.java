package com.acme.imageedit.upstream;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Image formats by magic number: storage hosts often label results {@code application/octet-stream} or not at all, and
 * a 200 may carry an error page; a result is an image when its bytes say so.
 */
final class ImageTypes {

    static final String OCTET_STREAM = "application/octet-stream";

    private ImageTypes() {
    }

    /** The MIME type the bytes prove, or {@code null} when they are none of PNG, JPEG, WEBP, GIF. */
    static String sniff(byte[] b) {
        if (b == null) {
            return null;
        }
        if (startsWith(b, 0, new byte[] { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' })) {
            return "image/png";
        }
        if (startsWith(b, 0, new byte[] { (byte) 0xFF, (byte) 0xD8, (byte) 0xFF })) {
            return "image/jpeg";
        }
        if (startsWith(b, 0, ascii("RIFF")) && startsWith(b, 8, ascii("WEBP"))) {
            return "image/webp";
        }
        if (startsWith(b, 0, ascii("GIF87a")) || startsWith(b, 0, ascii("GIF89a"))) {
            return "image/gif";
        }
        return null;
    }

    /** Bytes first, then what was declared, then the honest "unknown" (for the upload of an input image). */
    static String detect(byte[] bytes, String declaredContentType) {
        String sniffed = sniff(bytes);
        if (sniffed != null) {
            return sniffed;
        }
        if (declaredContentType != null && !declaredContentType.isBlank()) {
            return declaredContentType.strip();
        }
        return OCTET_STREAM;
    }

    /** The multipart filename TheRouter sees; some providers infer the format from the extension. */
    static String uploadFilename(String contentType) {
        String ct = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (ct.startsWith("image/jpeg") || ct.startsWith("image/jpg")) {
            return "image.jpg";
        }
        if (ct.startsWith("image/webp")) {
            return "image.webp";
        }
        if (ct.startsWith("image/gif")) {
            return "image.gif";
        }
        return "image.png";
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean startsWith(byte[] b, int offset, byte[] prefix) {
        if (b.length < offset + prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[offset + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
