package com.acme.imageedit.jobs;

import java.util.ArrayList;
import java.util.List;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A request body read whole into one array, each network buffer copied and released as it arrives: with a declared
 * length the array has that size from the start, so the body is never in memory twice; a chunked body is kept in its
 * chunks' copies and joined at the end, which is its only moment of two copies.
 */
final class BodyBytes {

    private final long declared;
    private final int limit;
    private byte[] whole;
    private List<byte[]> chunks;
    private int length;

    private BodyBytes(long declared, int limit) {
        this.declared = declared;
        this.limit = limit;
    }

    /**
     * The body's bytes; fails with {@link DataBufferLimitException} once it grows past {@code limit} (a declared
     * length past it fails before a byte is read).
     */
    static Mono<byte[]> read(Flux<DataBuffer> body, long declared, int limit) {
        if (declared > limit) {
            return Mono.error(new DataBufferLimitException("the body is " + declared + " bytes; the limit is "
                    + limit));
        }
        return body.collect(() -> new BodyBytes(declared, limit), BodyBytes::add)
                .doOnDiscard(DataBuffer.class, DataBufferUtils::release)
                .map(BodyBytes::bytes);
    }

    private void add(DataBuffer buffer) {
        try {
            int size = buffer.readableByteCount();
            if ((long) length + size > limit) {
                throw new DataBufferLimitException("the body is larger than " + limit + " bytes");
            }
            if (declared >= 0) {
                if (whole == null) {
                    whole = new byte[(int) declared];
                }
                if (length + size > whole.length) {
                    throw new IllegalStateException("the body is longer than its Content-Length");
                }
                buffer.read(whole, length, size);
            } else {
                if (chunks == null) {
                    chunks = new ArrayList<>();
                }
                byte[] chunk = new byte[size];
                buffer.read(chunk);
                chunks.add(chunk);
            }
            length += size;
        } finally {
            DataBufferUtils.release(buffer);
        }
    }

    private byte[] bytes() {
        if (whole != null && length == whole.length) {
            return whole;
        }
        byte[] joined = new byte[length];
        if (whole != null) {
            System.arraycopy(whole, 0, joined, 0, length);
        } else if (chunks != null) {
            int at = 0;
            for (int i = 0; i < chunks.size(); i++) {
                byte[] chunk = chunks.set(i, null);
                System.arraycopy(chunk, 0, joined, at, chunk.length);
                at += chunk.length;
            }
        }
        return joined;
    }
}
