package com.acme.imageedit.hostile;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * Generators of hostile requests, as raw HTTP/1.1 bytes: malformed multipart and JSON submits, header junk, path
 * tricks in job ids, bad list cursors. Each {@link Case} says what it is and what the service may answer.
 */
final class HostileRequests {

    static final String KEY = "demo-a-key";
    private static final String[] ODD = {"\u0000", "\u202E", "\u200B", "\uFEFF", "\u0301", "\uD83D\uDE00", "\uD800",
            "\uDFFF", "\uFFFF", "\uFFFD", "\r\n", "\n", "\t", "\u0085", "\u2028", "\"", "'", "\\", "%00", "%2e%2e/",
            "../", "<script>", "${jndi:ldap://x}", "{{7*7}}", "'; drop table jobs; --", "\u00e9", "\u4e2d\u6587",
            "\u0645\u0631\u062d\u0628\u0627", "\uFF21", "\u0663", "\u1F600", "\u0007", "\u001B[31m", "NaN", "-0",
            "1e309", "null", "[]", "{}"};

    /** What the service may answer a case: must refuse it (4xx), or may accept it (then it stores one job). */
    enum Expect { REFUSE, EITHER }

    record Case(String description, byte[] request, Expect expect, boolean submit) {
        @Override
        public String toString() {
            return description + " [" + expect + "] request: " + RawHttp.abbreviate(
                    new String(request, StandardCharsets.ISO_8859_1));
        }
    }

    private HostileRequests() {
    }

    // ------------------------------------------------------------------ strings

    static String odd(Random r, int maxLength) {
        int length = r.nextInt(4) == 0 ? r.nextInt(maxLength + 1) : r.nextInt(Math.min(maxLength, 40) + 1);
        StringBuilder s = new StringBuilder();
        while (s.length() < length) {
            switch (r.nextInt(4)) {
                case 0 -> s.append(ODD[r.nextInt(ODD.length)]);
                case 1 -> s.appendCodePoint(r.nextInt(0x30000));
                default -> s.append((char) (' ' + r.nextInt(95)));
            }
        }
        return s.toString();
    }

    static boolean hasNul(String s) {
        return s.indexOf('\0') >= 0;
    }

    // ------------------------------------------------------------------ multipart

    static Case multipart(Random r) {
        List<String> notes = new ArrayList<>();
        boolean refuse = false;
        String boundary = "b" + HexFormat.of().formatHex(longBytes(r.nextLong()));
        String headerBoundary = boundary;
        List<byte[]> parts = new ArrayList<>();
        List<String> order = new ArrayList<>(List.of("model", "prompt", "image"));
        if (r.nextInt(3) == 0) {
            java.util.Collections.shuffle(order, r);
        }
        int mutations = 1 + r.nextInt(3);
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < mutations; i++) {
            chosen.add(r.nextInt(16));
        }
        String prompt = "make it blue";
        String model = "qwen/qwen-image-edit";
        HostileImages.Image image = new HostileImages.Image("valid PNG", HostileImages.PNG, null);
        String filename = "input.png";
        String imageType = "image/png";
        List<String[]> extra = new ArrayList<>();
        boolean dropImage = false;
        for (int m : chosen) {
            switch (m) {
                case 0, 1 -> {
                    prompt = odd(r, 5000);
                    notes.add("odd prompt");
                }
                case 2 -> {
                    prompt = "p".repeat(300_000 + r.nextInt(200_000));
                    notes.add("prompt over the in-memory field limit");
                }
                case 3 -> {
                    prompt = "";
                    notes.add("zero-length prompt");
                }
                case 4, 5 -> {
                    image = HostileImages.any(r);
                    notes.add("image: " + image.description());
                }
                case 6 -> {
                    filename = odd(r, 300);
                    notes.add("odd filename");
                }
                case 7 -> {
                    imageType = new String[]{"text/plain", "application/octet-stream", "image/svg+xml", "", "x/y;;;",
                            "image/png; charset=\u00ff"}[r.nextInt(6)];
                    notes.add("image part type " + imageType);
                }
                case 8 -> {
                    String field = new String[]{"prompt", "model", "seed", "size", "cfg"}[r.nextInt(5)];
                    extra.add(new String[]{field, "1"});
                    extra.add(new String[]{field, "2"});
                    notes.add("duplicate " + field);
                    refuse = true;
                }
                case 9 -> {
                    dropImage = true;
                    notes.add("no image");
                    refuse = true;
                }
                case 10 -> {
                    String field = new String[]{"seed", "cfg", "size", "num_inference_steps", "n", "deadline_seconds",
                            "response_format", "callback_url", "model"}[r.nextInt(9)];
                    String value = r.nextBoolean() ? odd(r, 100) : new String[]{"1e3", "-1", "99999999999999999999",
                            "NaN", "Infinity", "0x10", " 7 ", "\u0663", "9".repeat(400), "", "1,5"}[r.nextInt(11)];
                    extra.add(new String[]{field, value});
                    notes.add(field + "=" + value);
                }
                case 11 -> {
                    String key = odd(r, 60);
                    extra.add(new String[]{"metadata[" + key + "]", odd(r, 600)});
                    notes.add("odd metadata");
                }
                case 12 -> {
                    int count = 20 + r.nextInt(30);
                    for (int i = 0; i < count; i++) {
                        extra.add(new String[]{"x" + i, "y"});
                    }
                    notes.add(count + " extra parts");
                    refuse |= count + 3 > 32;
                }
                case 13 -> {
                    headerBoundary = new String[]{"", "\"\"", boundary + "x", "\"" + boundary + "\"", "a b",
                            "x".repeat(200), boundary.toUpperCase()}[r.nextInt(7)];
                    notes.add("header boundary '" + RawHttp.abbreviate(headerBoundary) + "'");
                }
                case 14 -> {
                    model = odd(r, 200);
                    notes.add("odd model");
                }
                default -> {
                    extra.add(new String[]{"image", "iVBORw0KGgo="});
                    notes.add("image also as a text field");
                    refuse = true;
                }
            }
        }
        // judged on the boundary, prompt and image finally sent (a later mutation may replace an earlier one)
        refuse |= !headerBoundary.equals(boundary) && !headerBoundary.equals("\"" + boundary + "\"");
        refuse |= !dropImage && image.refusal() != null;
        refuse |= !model.isBlank() && !model.equals("qwen/qwen-image-edit");
        refuse |= prompt.isBlank() || hasNul(prompt) || prompt.codePointCount(0, prompt.length()) > 4000;
        for (String name : order) {
            switch (name) {
                case "model" -> parts.add(field(boundary, "model", model));
                case "prompt" -> parts.add(field(boundary, "prompt", prompt));
                default -> {
                    if (!dropImage) {
                        parts.add(file(boundary, "image", filename, imageType, image.bytes()));
                    }
                }
            }
        }
        for (String[] f : extra) {
            parts.add(field(boundary, f[0], f[1]));
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        parts.forEach(body::writeBytes);
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        byte[] bytes = body.toByteArray();
        if (r.nextInt(6) == 0) {
            switch (r.nextInt(4)) {
                case 0 -> {
                    bytes = Arrays.copyOf(bytes, r.nextInt(bytes.length));
                    notes.add("body truncated to " + bytes.length);
                }
                case 1 -> {
                    bytes = new String(bytes, StandardCharsets.ISO_8859_1).replace("\r\n", "\n")
                            .getBytes(StandardCharsets.ISO_8859_1);
                    notes.add("bare LF line ends");
                }
                case 2 -> {
                    bytes = HostileImages.concat(odd(r, 100).getBytes(StandardCharsets.UTF_8), bytes);
                    notes.add("junk before the first boundary");
                }
                default -> {
                    bytes = Arrays.copyOf(bytes, bytes.length - boundary.length() - 6);
                    notes.add("no closing boundary");
                }
            }
        }
        String contentType = "multipart/form-data; boundary=" + headerBoundary;
        if (headerBoundary.equals(boundary) && r.nextInt(8) == 0) {
            contentType = new String[]{"multipart/mixed; boundary=" + boundary, "multipart/form-data",
                    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=" + boundary
                    + "; charset=utf-7"}[r.nextInt(5)];
            notes.add("Content-Type " + contentType);
            refuse |= !contentType.endsWith("utf-7");
        }
        Head head = Head.post("/v1/images/edits?async=true").header("Authorization", "Bearer " + KEY)
                .header("Content-Type", contentType);
        return new Case("multipart: " + String.join(", ", notes), head.with(bytes), refuse ? Expect.REFUSE
                : Expect.EITHER, true);
    }

    private static byte[] field(String boundary, String name, String value) {
        return ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] file(String boundary, String name, String filename, String type, byte[] content) {
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\""
                + filename + "\"\r\n" + (type.isEmpty() ? "" : "Content-Type: " + type + "\r\n") + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
        return HostileImages.concat(HostileImages.concat(head, content), "\r\n".getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ JSON

    static Case json(Random r) {
        List<String> notes = new ArrayList<>();
        boolean refuse = false;
        String model = "\"qwen/qwen-image-edit\"";
        String prompt = "\"make it blue\"";
        String image = "\"" + Base64.getEncoder().encodeToString(HostileImages.PNG) + "\"";
        boolean promptRefused = false;
        boolean modelRefused = false;
        boolean imageRefused = false;
        List<String> extra = new ArrayList<>();
        int mutations = 1 + r.nextInt(3);
        for (int i = 0; i < mutations; i++) {
            switch (r.nextInt(14)) {
                case 0 -> {
                    String v = wrongType(r);
                    prompt = v;
                    notes.add("prompt " + RawHttp.abbreviate(v));
                    // scalars become text by design ("prompt": 1 is the prompt "1"); null, "", arrays, objects are none
                    promptRefused = !Character.isDigit(v.charAt(0)) && !v.equals("true");
                }
                case 1 -> {
                    String v = wrongType(r);
                    model = v;
                    notes.add("model " + RawHttp.abbreviate(v));
                    modelRefused = !v.equals("null") && !v.equals("\"\"");
                }
                case 2 -> {
                    String v = hugeNumber(r);
                    String f = new String[]{"seed", "cfg", "num_inference_steps", "n", "deadline_seconds"}[r.nextInt(5)];
                    extra.add("\"" + f + "\":" + v);
                    notes.add(f + "=" + v);
                    // 0.1e1 is 1: a valid value of every one of these fields, so the service may take it
                    refuse = refuse || !v.equals("0.1e1");
                }
                case 3 -> {
                    String f = new String[]{"seed", "cfg", "prompt"}[r.nextInt(3)];
                    String v = new String[]{"NaN", "Infinity", "-Infinity", "+1", "01", ".5", "1.", "0x1F"}[r.nextInt(8)];
                    extra.add("\"" + f + "\":" + v);
                    notes.add("not JSON: " + f + "=" + v);
                    refuse = true;
                }
                case 4 -> {
                    String s = jsonEscapes(r);
                    prompt = "\"" + s + "\"";
                    notes.add("escapes in prompt");
                    promptRefused = s.contains("\\u0000") || unpaired(s);
                }
                case 5 -> {
                    int depth = 10 + r.nextInt(5_000);
                    String f = new String[]{"prompt", "metadata", "seed", "extra"}[r.nextInt(4)];
                    extra.add("\"" + f + "\":" + "[".repeat(depth) + "]".repeat(depth));
                    notes.add("nesting " + depth + " deep in " + f);
                    refuse |= !f.equals("extra") || depth > 500;
                }
                case 6 -> {
                    String v = new String[]{"[]", "\"a\"", "{\"k\":1}", "{\"k\":{\"x\":\"y\"}}", "{\"k\":\"\\u0000\"}",
                            "{\"\\u0000\":\"v\"}", "{\"k\":\"\\ud800\"}", "{\"\\udfff\":\"v\"}", "{\"k\":\"" + "v".repeat(501)
                            + "\"}", "{\"[k]\":\"v\"}", "{\"\":\"v\"}", many(17)}[r.nextInt(12)];
                    extra.add("\"metadata\":" + v);
                    notes.add("metadata " + RawHttp.abbreviate(v));
                    refuse = true;
                }
                case 7 -> {
                    String k = jsonEscapes(r);
                    String v = jsonEscapes(r);
                    extra.add("\"metadata\":{\"" + k + "\":\"" + v + "\"}");
                    notes.add("metadata with escapes");
                    refuse |= unpaired(k) || unpaired(v) || k.contains("\\u0000") || v.contains("\\u0000")
                            || k.contains("\\u0001") || k.contains("\\n") || k.contains("\\t")
                            || k.contains("\\u0085");
                }
                case 8 -> {
                    HostileImages.Image bad = HostileImages.any(r);
                    image = "\"" + Base64.getEncoder().encodeToString(bad.bytes()) + "\"";
                    notes.add("image: " + bad.description());
                    imageRefused = bad.refusal() != null;
                }
                case 9 -> {
                    image = new String[]{"\"!!!not base64!!!\"", "\"http://169.254.169.254/latest\"",
                            "\"data:image/png;base64,\"", "\"data:text/html;base64,PHNjcmlwdD4=\"",
                            "\"" + Base64.getUrlEncoder().encodeToString(HostileImages.PNG) + "-_\"", "\"\"", "1",
                            "[]", "{}", "[\"a\",\"b\"]", "\"iVBORw0KGgo\""}[r.nextInt(11)];
                    notes.add("image " + RawHttp.abbreviate(image));
                    imageRefused = true;
                }
                case 10 -> {
                    extra.add("\"prompt\":\"again\"");
                    notes.add("duplicate key");
                    refuse = true;
                }
                case 11 -> {
                    String k = jsonEscapes(r);
                    String v = jsonEscapes(r);
                    extra.add("\"" + k + "\":\"" + v + "\"");
                    notes.add("odd extra member");
                    refuse |= unpaired(k) || unpaired(v);
                }
                case 12 -> {
                    extra.add("\"callback_url\":\"" + jsonEscapes(r) + "\"");
                    notes.add("odd callback_url");
                    refuse = true;
                }
                default -> {
                    String v = "\"" + "x".repeat(4001 + r.nextInt(100_000)) + "\"";
                    prompt = v;
                    notes.add("prompt of " + (v.length() - 2));
                    promptRefused = true;
                }
            }
        }
        // judged on the values finally sent (a later mutation may replace an earlier one); the image below, by endpoint
        refuse |= promptRefused || modelRefused;
        StringBuilder body = new StringBuilder("{\"model\":").append(model).append(",\"prompt\":").append(prompt)
                .append(",\"image\":").append(image);
        extra.forEach(e -> body.append(',').append(e));
        body.append('}');
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        if (r.nextInt(5) == 0) {
            switch (r.nextInt(6)) {
                case 0 -> bytes = Arrays.copyOf(bytes, r.nextInt(bytes.length));
                case 1 -> bytes = new byte[0];
                case 2 -> bytes = new String[]{"null", "[]", "\"str\"", "1", "true", "{}", "{\"a\":}", "\uFEFF{}"}[
                        r.nextInt(8)].getBytes(StandardCharsets.UTF_8);
                case 3 -> {
                    bytes = new byte[1 + r.nextInt(5_000)];
                    r.nextBytes(bytes);
                }
                case 4 -> bytes = body.toString().getBytes(StandardCharsets.UTF_16);
                default -> bytes = HostileImages.concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, bytes);
            }
            notes.add("body spoiled: " + RawHttp.abbreviate(new String(bytes, 0, Math.min(bytes.length, 40),
                    StandardCharsets.ISO_8859_1)));
            refuse = true;
        }
        String type = r.nextInt(6) == 0 ? new String[]{"application/json; charset=ebcdic", "application/problem+json",
                "application/json;;", "APPLICATION/JSON", "application/x-json", "text/json"}[r.nextInt(6)]
                : "application/json";
        if (!type.equals("application/json")) {
            notes.add("Content-Type " + type);
        }
        boolean edit = r.nextBoolean();
        // An edit refuses a bad image; a generation takes none (the edit model too, as TheRouter's model page sends
        // it), so there any image member is refused but an empty list, which carries no image.
        refuse |= edit ? imageRefused : !image.equals("[]");
        Head head = Head.post(edit ? "/v1/images/edits?async=true" : "/v1/images/generations?async=true")
                .header("Authorization", "Bearer " + KEY).header("Content-Type", type);
        return new Case("JSON: " + String.join(", ", notes), head.with(bytes), refuse ? Expect.REFUSE : Expect.EITHER,
                true);
    }

    /** Whether JSON string content (escapes and all) decodes to text with half a surrogate pair. */
    static boolean unpaired(String jsonStringContent) {
        String decoded = tools.jackson.databind.json.JsonMapper.builder().build()
                .readValue("\"" + jsonStringContent + "\"", String.class);
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < decoded.length()
                    && Character.isLowSurrogate(decoded.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    private static String wrongType(Random r) {
        return new String[]{"1", "true", "null", "[]", "[\"a\"]", "{}", "{\"a\":\"b\"}", "1e999", "\"\""}[r.nextInt(9)];
    }

    private static String hugeNumber(Random r) {
        return new String[]{"1e400", "-1e400", "1" + "0".repeat(1200), "123456789012345678901234567890",
                "1.0e-400", "9223372036854775808", "-9223372036854775809", "4.9e-324", "1e-7", "0.1e1",
                "-0.0"}[r.nextInt(11)];
    }

    /** A JSON string body with escapes: NUL, lone surrogates, controls, unicode. */
    private static String jsonEscapes(Random r) {
        StringBuilder s = new StringBuilder("a");
        int n = 1 + r.nextInt(6);
        for (int i = 0; i < n; i++) {
            s.append(new String[]{"\\u0000", "\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u202e", "\\n", "\\t", "\\\"",
                    "\\\\", "\\/", "\\u0085", "\\uffff", "\\u0001", "\u00e9", "\u4e2d", "x"}[r.nextInt(16)]);
        }
        return s.toString();
    }

    private static String many(int keys) {
        StringBuilder s = new StringBuilder("{");
        for (int i = 0; i < keys; i++) {
            s.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        return s.append('}').toString();
    }

    // ------------------------------------------------------------------ headers

    static Case headers(Random r) {
        String boundary = "hdr" + Long.toHexString(r.nextLong());
        byte[] valid = validMultipart(boundary);
        byte[] invalid = ("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        Head head = Head.post("/v1/images/edits?async=true");
        String note;
        boolean refuse;
        byte[] body = valid;
        switch (r.nextInt(5)) {
            case 0 -> {
                String[] auth = {null, "Bearer", "Bearer ", "Bearer  " + KEY, "bearer " + KEY, "Basic ZGVtbzpkZW1v",
                        "Bearer " + KEY + "x", "Bearer " + "k".repeat(4000), "Bearer " + KEY + ", Bearer demo-b-key",
                        "Bearer\t" + KEY, "Bearer " + odd(r, 50), "Token " + KEY, "Bearer demo-admin-key", KEY};
                String value = auth[r.nextInt(auth.length)];
                head.header("Content-Type", "multipart/form-data; boundary=" + boundary);
                if (value != null) {
                    head.header("Authorization", value);
                }
                boolean doubled = value != null && r.nextInt(4) == 0;
                if (doubled) {
                    head.header("Authorization", "Bearer demo-b-key");
                }
                note = "Authorization " + (value == null ? "missing" : RawHttp.abbreviate(value))
                        + (doubled ? " and a second one" : "");
                refuse = !doubled;
                if ((value != null && value.equals("Bearer " + KEY))) {
                    refuse = false;
                }
                // A doubled header with one good key, or an admin key (admins do not submit): the service decides.
                refuse &= !(value != null && value.startsWith("bearer ") || value != null && value.startsWith("Bearer  "));
            }
            case 1 -> {
                String[] keys = {"", " ", "k".repeat(255), "k".repeat(256), "k".repeat(5000), "a\tb", odd(r, 300),
                        "\u00ff\u00fe", "*", "key-" + r.nextInt(1_000_000)};
                String value = keys[r.nextInt(keys.length)];
                head.header("Authorization", "Bearer " + KEY)
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .header("Idempotency-Key", value);
                if (r.nextInt(4) == 0) {
                    head.header("Idempotency-Key", "second-" + r.nextInt(1000));
                }
                note = "Idempotency-Key " + RawHttp.abbreviate(value);
                refuse = false;
            }
            case 2 -> {
                String[] prefer = {"wait=-1", "wait=99999999999999999999", "wait=abc", "respond-async, wait=",
                        "wait=1e3", "wait", "=", ";;;,,,", "wait=\"", odd(r, 200), "wait=5".repeat(500),
                        "handling=strict; wait=3", "return=minimal"};
                String value = prefer[r.nextInt(prefer.length)];
                head.header("Authorization", "Bearer " + KEY)
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary).header("Prefer", value);
                body = invalid; // a valid submit would wait up to the preference; what is tested is its parsing
                note = "Prefer " + RawHttp.abbreviate(value);
                refuse = true;
            }
            case 3 -> {
                String[] types = {"multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
                        "multipart/form-data; boundary=" + boundary + "; boundary=other", "image/png", "*/*",
                        "multipart/form-data; boundary=" + "x".repeat(3000), "multipart/form-data;boundary="
                        + boundary + ";charset=\u00ff", "multipart", "/", ";", odd(r, 100),
                        "multipart/form-data; boundary=" + boundary + "\u00a0"};
                String value = types[r.nextInt(types.length)];
                head.header("Authorization", "Bearer " + KEY).header("Content-Type", value);
                note = "Content-Type " + RawHttp.abbreviate(value);
                refuse = false;
            }
            default -> {
                head.header("Authorization", "Bearer " + KEY)
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary);
                String[] framing = {"smuggle", "negative length", "letters length", "two lengths", "expect",
                        "no host", "many headers", "folded", "accept junk"};
                note = framing[r.nextInt(framing.length)];
                switch (note) {
                    case "smuggle" -> head.header("Transfer-Encoding", "chunked").header("Content-Length", "4");
                    case "negative length" -> head.header("Content-Length", "-1");
                    case "letters length" -> head.header("Content-Length", "abc");
                    case "two lengths" -> head.header("Content-Length", String.valueOf(valid.length))
                            .header("Content-Length", String.valueOf(valid.length + 5));
                    case "expect" -> head.header("Expect", "100-continue");
                    case "no host" -> head.noHost();
                    case "many headers" -> {
                        for (int i = 0; i < 300; i++) {
                            head.header("X-H" + i, "v");
                        }
                    }
                    case "accept junk" -> head.header("Accept", pick(r, "junk", "*/", "text/html;q=abc",
                            "application/json;;", "image/*, ;", "text/html", "image/png", odd(r, 60).replace("\r", "").replace("\n", "")));
                    default -> head.header("X-Folded", "a\r\n b");
                }
                // obs-fold may be unfolded (RFC 9112 5.2); the rest is framing no server may guess at
                refuse = !note.equals("expect") && !note.equals("many headers") && !note.equals("no host")
                        && !note.equals("accept junk") && !note.equals("folded");
            }
        }
        return new Case("header: " + note, head.with(body), refuse ? Expect.REFUSE : Expect.EITHER, true);
    }

    static byte[] validMultipart(String boundary) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(field(boundary, "prompt", "make it blue"));
        body.writeBytes(file(boundary, "image", "in.png", "image/png", HostileImages.PNG));
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return body.toByteArray();
    }

    // ------------------------------------------------------------------ ids

    static Case ids(Random r) {
        String[] tricks = {"..", "../..", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%2e%2e%2f%2e%2e", "..;", "..%00",
                "%00", "%", "%zz", "%25", "img_", "img_" + "a".repeat(26) + "/../x", "IMG_AAAAAAAAAAAAAAAAAAAAAAAAAA",
                "img_" + "1".repeat(26), "img_" + "a".repeat(27), "img_" + "a".repeat(25), "*", "%2A", "\\..\\..",
                "%5C..%5C", "%C0%AE%C0%AE", "%E2%80%AE", "x".repeat(3000), "img_aaaaaaaaaaaaaaaaaaaaaaaaaa%0d%0aX:1",
                ".", "%20", "+", "~", "$", "a;b=c", "img_" + base32(r)};
        String id = tricks[r.nextInt(tricks.length)];
        if (r.nextInt(4) == 0) {
            // raw non-ASCII bytes in the path, as a careless client sends them
            id = id + odd(r, 20).replace(" ", "").replace("\r", "").replace("\n", "").replace("#", "")
                    .replace("?", "");
        }
        String[][] routes = {{"GET", "/v1/jobs/%s"}, {"GET", "/v1/jobs/%s/content"}, {"GET", "/v1/jobs/%s/events"},
                {"POST", "/v1/jobs/%s/cancel"}, {"DELETE", "/v1/jobs/%s"}, {"PUT", "/v1/jobs/%s"},
                {"GET", "/files/results/%s?expires=99999999999&signature=AAAA"},
                {"GET", "/files/results/%s?expires=-1&signature=%s"}, {"PATCH", "/v1/jobs/%s/cancel"},
                {"GET", "/v1/jobs/%s/content/../../actuator/env"}};
        String[] route = routes[r.nextInt(routes.length)];
        String path = route[1].replace("%s", id);
        Head head = new Head(route[0] + " " + path + " HTTP/1.1").header("Authorization", "Bearer " + KEY);
        if (r.nextInt(5) == 0) {
            head.header("Last-Event-ID", odd(r, 40).replace("\r", "").replace("\n", ""));
        }
        return new Case("id: " + route[0] + " " + RawHttp.abbreviate(path), head.with(new byte[0]), Expect.REFUSE,
                false);
    }

    private static String base32(Random r) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 26; i++) {
            s.append("abcdefghijklmnopqrstuvwxyz234567".charAt(r.nextInt(32)));
        }
        return s.toString();
    }

    // ------------------------------------------------------------------ list cursors

    static Case listing(Random r) {
        List<String> params = new ArrayList<>();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(6)) {
                case 0 -> params.add("limit=" + pick(r, "-1", "0", "1", "100", "101", "1e3", "abc", "",
                        "99999999999999999999", "%00", "5%20", "0x10", "\u0663"));
                case 1 -> params.add("after=" + pick(r, "", "abc", "%00", "!!!", "x".repeat(2000),
                        Base64.getUrlEncoder().encodeToString(odd(r, 60).getBytes(StandardCharsets.UTF_8)),
                        Base64.getEncoder().encodeToString("9999999999999:img_x".getBytes(StandardCharsets.UTF_8)),
                        Base64.getUrlEncoder().encodeToString("-1|".getBytes(StandardCharsets.UTF_8)),
                        "MTIzNA", "eyJhIjoxfQ", "%FF%FE", "img_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                        cursor("-9223372036854775808"), cursor("9223372036854775807"), cursor("-1"),
                        cursor("99999999999999999999")));
                case 2 -> params.add("status=" + pick(r, "succeeded,,", "SUCCEEDED", "unknown", ",", "",
                        "queued,".repeat(300), "%00", "in_progress%2Cfailed", "running"));
                case 3 -> params.add(pick(r, "created_after=", "created_before=") + pick(r, "-99999999999999",
                        "9999-99-99", "1e10", "2026-01-01T00:00:00+25:00", "0", "99999999999999999999", "%00",
                        "2026-02-30", "now", "1700000000.5", "+1700000000", "2026-01-01T00:00:00Z",
                        "%2B1000000000-01-01T00:00:00Z", "-999999999-01-01T00:00:00Z", "999999999999",
                        "-4714-01-01T00:00:00Z", "294277-01-01T00:00:00Z"));
                case 4 -> params.add("metadata%5B" + pick(r, "k", "%00", "", "%5D", "k%5Bx%5D", "x".repeat(100))
                        + "%5D=" + pick(r, "v", "%00", "%ED%A0%80", "x".repeat(600), "", "%22%7D"));
                default -> params.add(pick(r, "limit", "after", "status", "x", "%00", "metadata[")
                        + pick(r, "", "=", "==", "=%"));
            }
        }
        String path = "/v1/jobs?" + String.join("&", params);
        Head head = new Head("GET " + path + " HTTP/1.1").header("Authorization", "Bearer " + KEY);
        return new Case("list: " + RawHttp.abbreviate(path), head.with(new byte[0]), Expect.EITHER, false);
    }

    /** A cursor in the service's own shape, with a timestamp of any size. */
    private static String cursor(String micros) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("c1:" + micros
                + ":img_aaaaaaaaaaaaaaaaaaaaaaaaaa").getBytes(StandardCharsets.UTF_8));
    }

    private static String pick(Random r, String... values) {
        return values[r.nextInt(values.length)];
    }

    private static byte[] longBytes(long v) {
        return java.nio.ByteBuffer.allocate(8).putLong(v).array();
    }

    // ------------------------------------------------------------------ request heads

    /** A request head written by hand: any bytes, repeated headers, no Host. */
    static final class Head {
        private final StringBuilder text;
        private boolean host = true;
        private boolean length = true;

        Head(String requestLine) {
            this.text = new StringBuilder(requestLine).append("\r\n");
        }

        static byte[] get(String path) {
            return new Head("GET " + path + " HTTP/1.1").with(new byte[0]);
        }

        static Head post(String path) {
            return new Head("POST " + path + " HTTP/1.1");
        }

        Head header(String name, String value) {
            text.append(name).append(": ").append(value).append("\r\n");
            if (name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("transfer-encoding")) {
                length = false;
            }
            return this;
        }

        Head noHost() {
            host = false;
            return this;
        }

        byte[] with(byte[] body) {
            StringBuilder head = new StringBuilder(text);
            if (host) {
                head.append("Host: localhost\r\n");
            }
            if (length && body.length > 0) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("Connection: close\r\n\r\n");
            return HostileImages.concat(head.toString().getBytes(StandardCharsets.UTF_8), body);
        }
    }
}
