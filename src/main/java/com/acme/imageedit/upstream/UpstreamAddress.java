package com.acme.imageedit.upstream;

import java.net.URI;

/**
 * Where TheRouter lives. Resolved per call so that an upstream whose port is only known after start-up (the in-process
 * simulator) can be wired in.
 */
@FunctionalInterface
public interface UpstreamAddress {

    URI baseUrl();
}
