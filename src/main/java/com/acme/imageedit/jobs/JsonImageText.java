package com.acme.imageedit.jobs;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Pattern;

import com.acme.imageedit.system.ApiException;
import org.springframework.http.HttpStatus;

/**
 * Decodes a JSON submit's {@code image} (base64, or a {@code data:} URL of it) straight from the raw bytes of its JSON
 * string, so that the image is never held as text: while it is decoded, the request body and the decoded image are
 * the only copies alive. One pass checks the text and counts the bytes it holds, the next decodes them into an array
 * of exactly that size. The usual text, base64 characters and nothing else, goes to the JDK's decoder in one pass.
 * <p>
 * It reads what a JSON parser would make of the string (escapes such as {@code \/} and {@code \n} included) and judges
 * it as {@code Base64.getDecoder().decode(text.strip() without \s)} did before, with the JDK's messages: whitespace
 * ({@code \s}) anywhere is ignored and other Unicode whitespace at either end, padding is optional but must be right
 * when present, and nothing may follow it. The JSON parser checks the string's syntax as it skips it; a malformed
 * string found here first is refused too, and the parser's own complaint wins.
 */
final class JsonImageText {

    /** How far into the string a {@code data:} URL's header may reach before its comma. */
    private static final int MAX_DATA_URL_HEADER = 4096;
    private static final Pattern DATA_URL_HEADER = Pattern.compile("data:([\\w.+-]+/[\\w.+-]+)?(;[^,]*)?;base64");
    private static final int[] VALUES = new int[128];
    private static final boolean[] ALPHABET = new boolean[256];
    private static final int INVALID = -1;
    private static final int PAD = -2;

    static {
        Arrays.fill(VALUES, INVALID);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            VALUES[alphabet.charAt(i)] = i;
            ALPHABET[alphabet.charAt(i)] = true;
        }
        VALUES['='] = PAD;
    }

    private JsonImageText() {
    }

    /**
     * The image in the JSON string whose opening quote is at {@code quote} in {@code json}.
     *
     * @throws ApiException 400 naming {@code image} for text that is no base64 (or an image URL), 413 for an image
     *                      over {@code maxBytes}
     */
    static byte[] decode(byte[] json, int quote, long maxBytes) {
        if (json[quote] != '"') {
            throw new IllegalStateException("no JSON string starts at byte " + quote);
        }
        int start = base64Start(json, quote + 1);
        byte[] plain = plain(json, start, maxBytes);
        if (plain != null) {
            return plain;
        }
        int length;
        try {
            length = scan(json, start, null);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("image", "image is not valid base64: " + e.getMessage());
        }
        if (length > maxBytes) {
            throw new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, "image_too_large", "image",
                    "image is larger than " + maxBytes + " bytes");
        }
        byte[] image = new byte[length];
        scan(json, start, image);
        return image;
    }

    /**
     * The usual text, decoded by the JDK's decoder straight from the body: nothing but base64 characters from
     * {@code start} to the closing quote, with its padding right. Null for anything else (whitespace, escapes, a
     * character that is no base64, wrong padding), which the slower reading above judges with its messages.
     */
    private static byte[] plain(byte[] json, int start, long maxBytes) {
        int end = start;
        while (end < json.length && ALPHABET[json[end] & 0xff]) {
            end++;
        }
        int data = end - start;
        int padding = 0;
        while (end < json.length && json[end] == '=' && padding < 2) {
            end++;
            padding++;
        }
        if (end >= json.length || json[end] != '"') {
            return null;
        }
        int rest = data % 4;
        boolean valid = padding == 0 ? rest != 1 : rest == 4 - padding && rest > 1;
        if (!valid) {
            return null;
        }
        long length = data / 4 * 3L + (rest == 0 ? 0 : rest - 1);
        if (length > maxBytes) {
            throw new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, "image_too_large", "image",
                    "image is larger than " + maxBytes + " bytes");
        }
        ByteBuffer decoded = Base64.getDecoder().decode(ByteBuffer.wrap(json, start, end - start));
        byte[] image = decoded.array();
        return image.length == length && decoded.arrayOffset() == 0 ? image : Arrays.copyOfRange(image,
                decoded.arrayOffset() + decoded.position(), decoded.arrayOffset() + decoded.limit());
    }

    /**
     * Bytes of the JSON string whose opening quote is at {@code quote}, up to its closing quote (escapes count as
     * written), or -1 when it does not end: a cheap measure of a string before anyone builds it.
     */
    static int rawLength(byte[] json, int quote) {
        for (int i = quote + 1; i < json.length; i++) {
            if (json[i] == '\\') {
                i++;
            } else if (json[i] == '"') {
                return i - quote - 1;
            }
        }
        return -1;
    }

    /**
     * Where the base64 starts: after a {@code data:…;base64,} header, or at the string's start. Refuses image URLs
     * (which are not fetched), as the text did before.
     */
    private static int base64Start(byte[] json, int from) {
        Cursor cursor = new Cursor(json, from);
        int c = cursor.next();
        int start = from;
        while (c >= 0 && Character.isWhitespace(c)) {
            start = cursor.position();
            c = cursor.next();
        }
        StringBuilder header = new StringBuilder();
        while (c >= 0 && c != ',' && header.length() < MAX_DATA_URL_HEADER) {
            header.appendCodePoint(c);
            c = cursor.next();
        }
        String text = header.toString();
        if (text.startsWith("http://") || text.startsWith("https://")) {
            throw ApiException.badRequest("image", "image URLs are not fetched; send the image as base64 or a data "
                    + "URL");
        }
        if (c == ',' && DATA_URL_HEADER.matcher(text).matches()) {
            return cursor.position();
        }
        return start;
    }

    /**
     * Checks the base64 from {@code from} to the string's end and returns how many bytes it holds; with {@code out},
     * decodes them into it too. Throws IllegalArgumentException with the JDK decoder's messages.
     */
    private static int scan(byte[] json, int from, byte[] out) {
        Cursor cursor = new Cursor(json, from);
        int bits = 0;
        int shift = 18;
        int written = 0;
        int seen = 0;
        boolean padded = false;
        // whitespace that strip() removes but \s does not: allowed only at the end of the text
        int stripOnly = -1;
        int c;
        while ((c = cursor.next()) != Cursor.END) {
            if (isWhitespace(c)) {
                continue;
            }
            if (c >= 0 && Character.isWhitespace(c)) {
                stripOnly = stripOnly < 0 ? c : stripOnly;
                continue;
            }
            if (stripOnly >= 0) {
                value(stripOnly);
            }
            seen++;
            int value = value(c);
            if (value == PAD) {
                // "xx==" and "xxx=" end the data; "=", "x=" and "xx=" without its second "=" do not
                if (shift == 6 && nextNonWhitespace(cursor) != '=' || shift == 18) {
                    throw new IllegalArgumentException("Input byte array has wrong 4-byte ending unit");
                }
                padded = true;
                break;
            }
            bits |= value << shift;
            shift -= 6;
            if (shift < 0) {
                if (out != null) {
                    out[written] = (byte) (bits >> 16);
                    out[written + 1] = (byte) (bits >> 8);
                    out[written + 2] = (byte) bits;
                }
                written += 3;
                bits = 0;
                shift = 18;
            }
        }
        if (shift == 6) {
            if (out != null) {
                out[written] = (byte) (bits >> 16);
            }
            written += 1;
        } else if (shift == 0) {
            if (out != null) {
                out[written] = (byte) (bits >> 16);
                out[written + 1] = (byte) (bits >> 8);
            }
            written += 2;
        } else if (shift == 12) {
            throw new IllegalArgumentException(seen == 1
                    ? "Input byte[] should at least have 2 bytes for base64 bytes"
                    : "Last unit does not have enough valid bits");
        }
        if (padded) {
            while ((c = cursor.next()) != Cursor.END) {
                if (isWhitespace(c) || c >= 0 && Character.isWhitespace(c)) {
                    continue;
                }
                throw new IllegalArgumentException("Input byte array has incorrect ending byte at " + seen);
            }
        }
        return written;
    }

    private static int nextNonWhitespace(Cursor cursor) {
        int c;
        do {
            c = cursor.next();
        } while (isWhitespace(c));
        return c;
    }

    private static int value(int c) {
        if (c == Cursor.MALFORMED) {
            throw new IllegalArgumentException("the image is not a well-formed JSON string");
        }
        int value = c >= 0 && c < 128 ? VALUES[c] : INVALID;
        if (value == INVALID) {
            // the JDK decoder saw the text as ISO-8859-1, where anything beyond it became '?', as signed bytes
            throw new IllegalArgumentException("Illegal base64 character " + Integer.toString(
                    (byte) (c > 0xff ? '?' : c), 16));
        }
        return value;
    }

    /** The whitespace {@code \s} matches, which went anywhere. */
    private static boolean isWhitespace(int c) {
        return c == ' ' || c >= '\t' && c <= '\r';
    }

    /**
     * The characters of a JSON string read from its raw UTF-8, escapes resolved, as code points ({@code \\u} escapes
     * as the UTF-16 unit they name); {@link #END} at the closing quote (and ever after), {@link #MALFORMED} where JSON
     * or UTF-8 allow no such thing.
     */
    private static final class Cursor {

        static final int END = -1;
        static final int MALFORMED = -3;

        private final byte[] json;
        private int position;

        Cursor(byte[] json, int position) {
            this.json = json;
            this.position = position;
        }

        int position() {
            return position;
        }

        int next() {
            if (position >= json.length) {
                return MALFORMED;
            }
            int b = json[position] & 0xff;
            if (b == '"') {
                return END;
            }
            position++;
            if (b == '\\') {
                return escaped();
            }
            if (b < 0x20) {
                return MALFORMED;
            }
            if (b < 0x80) {
                return b;
            }
            int more = b >= 0xf0 ? (b <= 0xf4 ? 3 : -1) : b >= 0xe0 ? 2 : b >= 0xc2 ? 1 : -1;
            if (more < 0 || position + more > json.length) {
                return MALFORMED;
            }
            int code = b & (0x3f >> more);
            for (int i = 0; i < more; i++) {
                int next = json[position++] & 0xff;
                if ((next & 0xc0) != 0x80) {
                    return MALFORMED;
                }
                code = code << 6 | next & 0x3f;
            }
            return code;
        }

        private int escaped() {
            if (position >= json.length) {
                return MALFORMED;
            }
            int e = json[position++];
            switch (e) {
                case '"', '\\', '/':
                    return e;
                case 'b':
                    return '\b';
                case 'f':
                    return '\f';
                case 'n':
                    return '\n';
                case 'r':
                    return '\r';
                case 't':
                    return '\t';
                case 'u':
                    if (position + 4 > json.length) {
                        return MALFORMED;
                    }
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        int digit = Character.digit(json[position++], 16);
                        if (digit < 0) {
                            return MALFORMED;
                        }
                        code = code << 4 | digit;
                    }
                    return code;
                default:
                    return MALFORMED;
            }
        }
    }
}
