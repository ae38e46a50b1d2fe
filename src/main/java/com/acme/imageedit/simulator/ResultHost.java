package com.acme.imageedit.simulator;

/**
 * Where the simulator serves results from ({@code simulator.results}), since the proxy treats the two differently:
 * a request to TheRouter's own origin carries the key and counts against the account, one to a storage host does not.
 */
public enum ResultHost {
    /**
     * TheRouter's own origin: {@code unsigned_urls} point at the authenticated {@code /v1/jobs/{id}/content}, which
     * redirects to {@code /files/{id}.png} on the same origin. Both requests, sent with the key, count against the
     * account's rate limit.
     */
    OWN_ORIGIN,
    /**
     * A second host (another port: another origin), as a CDN or object store: {@code unsigned_urls} and the
     * {@code /content} redirect point at its {@code /files/{id}.png}, which needs no key and has no rate limit.
     */
    SECOND_HOST
}
