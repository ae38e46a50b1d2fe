package com.acme.imageedit.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests no well-behaved client would send: any bytes in the request line,
 * headers and body. Every request says {@code Connection: close} unless it brings its own, so the answer ends where
 * the connection does.
 */
final class RawHttp {

    private RawHttp() {
    }

    /** What came back: a status and headers, or nothing (the server closed without answering). */
    record Answer(int status, Map<String, String> headers, byte[] body) {

        static final Answer CLOSED = new Answer(0, Map.of(), new byte[0]);

        boolean answered() {
            return status > 0;
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return answered() ? status + " " + headers + " " + abbreviate(bodyText()) : "connection closed, no answer";
        }
    }

    static Answer exchange(int port, byte[] request) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // The server may answer and close before it took the whole request (a body over a limit).
            }
            return read(socket.getInputStream());
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer within 20 s to " + abbreviate(new String(request,
                    StandardCharsets.ISO_8859_1)), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A request with the given head lines (without the final empty line) and body. */
    static byte[] request(String requestLine, Map<String, String> headers, byte[] body) {
        StringBuilder head = new StringBuilder(requestLine).append("\r\n");
        boolean connection = false;
        for (Map.Entry<String, String> header : headers.entrySet()) {
            head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
            connection |= header.getKey().equalsIgnoreCase("connection");
        }
        if (!connection) {
            head.append("Connection: close\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(body, 0, all, headBytes.length, body.length);
        return all;
    }

    /** Reads one response to its end (the connection's end; chunked bodies are decoded). */
    static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                received.write(buffer, 0, n);
            }
        } catch (java.net.SocketException e) {
            // reset by the server (it closed with our unread bytes in its buffer): keep what arrived before
        }
        byte[] all = received.toByteArray();
        int end = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        // Interim answers (100 Continue) precede the real one: skip them.
        while (end > 0 && new String(all, 0, Math.min(all.length, 12), StandardCharsets.ISO_8859_1)
                .matches("HTTP/1\\.1 1\\d\\d.*")) {
            all = java.util.Arrays.copyOfRange(all, end + 4, all.length);
            end = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        if (all.length == 0 || end < 0) {
            return Answer.CLOSED;
        }
        String[] lines = new String(all, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        int status = Integer.parseInt(statusLine[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(all, end + 4, all.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Answer(status, headers, body);
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < chunked.length) {
            int lineEnd = indexOf(chunked, "\r\n".getBytes(StandardCharsets.ISO_8859_1), i);
            if (lineEnd < 0) {
                break;
            }
            String size = new String(chunked, i, lineEnd - i, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int length = Integer.parseInt(size, 16);
            if (length == 0) {
                break;
            }
            out.write(chunked, lineEnd + 2, Math.min(length, chunked.length - lineEnd - 2));
            i = lineEnd + 2 + length + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        return indexOf(haystack, needle, 0);
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static String abbreviate(String text) {
        String clean = text.replaceAll("[\\p{Cntrl}&&[^\r\n]]", "?");
        return clean.length() > 300 ? clean.substring(0, 300) + "…(" + clean.length() + " chars)" : clean;
    }
}
