package com.acme.imageedit.upstream;

import java.net.URI;
import java.util.Locale;

import org.springframework.web.util.UriComponentsBuilder;

/** URL building and comparison for TheRouter calls, kept in one place because the API key's safety depends on it. */
final class UpstreamUris {

    private UpstreamUris() {
    }

    /** {@code base} plus path segments, each percent-encoded as a segment so an id can never add path levels. */
    static UriComponentsBuilder endpoint(URI base, String... segments) {
        return UriComponentsBuilder.fromUri(base).replaceQuery(null).fragment(null).pathSegment(segments);
    }

    static URI build(UriComponentsBuilder builder) {
        return builder.encode().build().toUri();
    }

    /**
     * Same scheme, host and effective port. The Bearer key goes only to such URLs: result URLs and redirects may
     * point at a storage host that must never see it.
     */
    static boolean sameOrigin(URI a, URI b) {
        if (a == null || b == null || a.getScheme() == null || a.getHost() == null) {
            return false;
        }
        return a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost().toLowerCase(Locale.ROOT).equals(b.getHost() == null ? null : b.getHost().toLowerCase(Locale.ROOT))
                && port(a) == port(b);
    }

    /** For messages and logs: pre-signed URLs carry their signature in the query, which must not end up in logs. */
    static String redact(URI uri) {
        if (uri == null) {
            return "?";
        }
        StringBuilder s = new StringBuilder();
        if (uri.getScheme() != null) {
            s.append(uri.getScheme()).append("://");
        }
        if (uri.getRawAuthority() != null) {
            String authority = uri.getRawAuthority();
            s.append(authority.substring(authority.lastIndexOf('@') + 1));
        }
        s.append(uri.getRawPath() == null ? "" : uri.getRawPath());
        return s.toString();
    }

    private static int port(URI u) {
        if (u.getPort() != -1) {
            return u.getPort();
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "http" -> 80;
            case "https" -> 443;
            default -> -1;
        };
    }
}
