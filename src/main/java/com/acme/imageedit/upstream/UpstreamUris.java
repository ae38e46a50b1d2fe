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
     * The one rule for what is TheRouter's: a request whose URL, resolved against {@code base} when relative, has the base
     * URL's scheme, host and effective port goes to TheRouter's origin. Such a request, and no other, carries the API
     * key, takes a permit of the account's shared budget and passes the circuit breaker; result URLs and redirects may
     * point at a storage host, which must never see the key and does not count against the account. A redirect hop is
     * judged again by its own URL ({@link #redirect}).
     */
    static boolean isTheRoutersOrigin(URI target, URI base) {
        if (target == null || base == null || base.getScheme() == null || base.getHost() == null) {
            return false;
        }
        URI resolved = target.isAbsolute() ? target : base.resolve(target);
        if (resolved.getScheme() == null || resolved.getHost() == null) {
            return false;
        }
        return resolved.getScheme().equalsIgnoreCase(base.getScheme())
                && resolved.getHost().toLowerCase(Locale.ROOT).equals(base.getHost().toLowerCase(Locale.ROOT))
                && port(resolved) == port(base);
    }

    /** Where a redirect from {@code from} to {@code location} goes (a relative location is relative to {@code from}). */
    static URI redirect(URI from, URI location) {
        return from.resolve(location);
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
