package com.acme.imageedit.upstream;

/** The downloaded result image. {@code contentType} is detected from the bytes when the upstream's header is missing. */
public record UpstreamImage(byte[] bytes, String contentType) {
}
