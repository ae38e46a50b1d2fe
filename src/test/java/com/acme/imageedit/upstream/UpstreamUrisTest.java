package com.acme.imageedit.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import org.junit.jupiter.api.Test;

class UpstreamUrisTest {

    private static final URI BASE = URI.create("https://api.therouter.ai");

    @Test
    void sameOriginComparesSchemeHostAndEffectivePort() {
        assertThat(UpstreamUris.sameOrigin(URI.create("https://API.therouter.ai:443/v1/jobs/x/content"), BASE)).isTrue();
        assertThat(UpstreamUris.sameOrigin(URI.create("http://api.therouter.ai/v1"), BASE)).isFalse();
        assertThat(UpstreamUris.sameOrigin(URI.create("https://api.therouter.ai:8443/v1"), BASE)).isFalse();
        assertThat(UpstreamUris.sameOrigin(URI.create("https://therouter.ai/v1"), BASE)).isFalse();
        assertThat(UpstreamUris.sameOrigin(URI.create("https://api.therouter.ai.evil.com/"), BASE)).isFalse();
        assertThat(UpstreamUris.sameOrigin(URI.create("/relative"), BASE)).isFalse();
    }

    @Test
    void endpointKeepsABasePathAndEncodesSegments() {
        assertThat(UpstreamUris.build(UpstreamUris.endpoint(URI.create("http://h:1/"), "v1", "jobs", "a/b?c")))
                .hasToString("http://h:1/v1/jobs/a%2Fb%3Fc");
        assertThat(UpstreamUris.build(UpstreamUris.endpoint(URI.create("http://h/proxy/"), "v1", "jobs")))
                .hasToString("http://h/proxy/v1/jobs");
    }

    @Test
    void redactDropsQueryAndUserInfo() {
        assertThat(UpstreamUris.redact(URI.create("https://u:p@cdn.example:8443/a/b.png?X-Amz-Signature=s")))
                .isEqualTo("https://cdn.example:8443/a/b.png");
    }
}
