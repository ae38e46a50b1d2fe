package com.acme.imageedit.system;

/**
 * Bytes to be bound as a {@code bytea} parameter in PostgreSQL's binary format (see {@link ByteaBinaryCodec}): the
 * bytes as they are, where the driver's own {@code byte[]} codec sends them as hex text (twice the size, encoded
 * byte by byte here and decoded again by the server). For the images, the largest values the service writes.
 */
public record Bytea(byte[] bytes) {
}
