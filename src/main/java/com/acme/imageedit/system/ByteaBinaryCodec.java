package com.acme.imageedit.system;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.postgresql.client.EncodedParameter;
import io.r2dbc.postgresql.codec.Codec;
import io.r2dbc.postgresql.codec.CodecRegistry;
import io.r2dbc.postgresql.extension.CodecRegistrar;
import io.r2dbc.postgresql.message.Format;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * Encodes {@link Bytea} parameters in PostgreSQL's binary format. r2dbc-postgresql sends a {@code byte[]} as hex text,
 * and that encoding was a sixth of the accept path's CPU (48 KiB images; issue #8 profile, docs/performance.md).
 * Registered with the driver through its extension mechanism ({@code META-INF/services}); encodes only, and only
 * {@link Bytea}: everything else, and every read, goes through the driver's own codecs.
 */
public final class ByteaBinaryCodec implements CodecRegistrar {

    private static final int BYTEA = 17;

    @Override
    public Publisher<Void> register(PostgresqlConnection connection, ByteBufAllocator allocator,
                                    CodecRegistry registry) {
        registry.addFirst(new Encoder());
        return Mono.empty();
    }

    private static final class Encoder implements Codec<Bytea> {

        @Override
        public boolean canDecode(int dataType, Format format, Class<?> type) {
            return false;
        }

        @Override
        public boolean canEncode(Object value) {
            return value instanceof Bytea;
        }

        @Override
        public boolean canEncodeNull(Class<?> type) {
            return type == Bytea.class;
        }

        @Override
        public Bytea decode(ByteBuf buffer, int dataType, Format format, Class<? extends Bytea> type) {
            throw new UnsupportedOperationException("Bytea is written only; read bytea columns as byte[]");
        }

        @Override
        public EncodedParameter encode(Object value) {
            byte[] bytes = ((Bytea) value).bytes();
            // a new wrapper per subscription: the driver releases what it wrote
            return new EncodedParameter(Format.FORMAT_BINARY, BYTEA,
                    Mono.fromSupplier(() -> Unpooled.wrappedBuffer(bytes)));
        }

        @Override
        public EncodedParameter encode(Object value, int dataType) {
            return encode(value);
        }

        @Override
        public EncodedParameter encodeNull() {
            return new EncodedParameter(Format.FORMAT_BINARY, BYTEA, EncodedParameter.NULL_VALUE);
        }
    }
}
