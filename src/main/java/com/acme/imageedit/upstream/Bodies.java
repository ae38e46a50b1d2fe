package com.acme.imageedit.upstream;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.web.reactive.function.client.ClientResponse;
import reactor.core.publisher.Mono;

/** Bounded body reads, so that neither a huge image nor a huge error page can exhaust memory. */
final class Bodies {

    /** Error bodies are only read for a message and a 200-character excerpt. */
    static final int ERROR_BODY_LIMIT = 64 * 1024;

    private Bodies() {
    }

    /** The whole body; fails with {@code DataBufferLimitException} beyond {@code maxBytes}. Empty body → empty array. */
    static Mono<byte[]> read(ClientResponse response, int maxBytes) {
        return DataBufferUtils.join(response.bodyToFlux(DataBuffer.class), maxBytes)
                .map(Bodies::toBytes)
                .defaultIfEmpty(new byte[0]);
    }

    /** At most {@code maxBytes}; the rest is discarded, never an error. */
    static Mono<byte[]> readPrefix(ClientResponse response, int maxBytes) {
        return DataBufferUtils.join(DataBufferUtils.takeUntilByteCount(response.bodyToFlux(DataBuffer.class), maxBytes))
                .map(Bodies::toBytes)
                .defaultIfEmpty(new byte[0]);
    }

    private static byte[] toBytes(DataBuffer buffer) {
        try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return bytes;
        } finally {
            DataBufferUtils.release(buffer);
        }
    }
}
