package com.acme.imageedit.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import org.junit.jupiter.api.Test;

class UpstreamUrisTest {

    private static final URI BASE = URI.create("https://api.therouter.ai");

    @Test
    void aRelativeUrlIsTheRoutersOrigin() {
        assertThat(UpstreamUris.isTheRoutersOrigin(URI.create("/v1/jobs/x/content"), BASE)).isTrue();
        assertThat(UpstreamUris.isTheRoutersOrigin(URI.create("files/x.png?sig=1"), BASE)).isTrue();
    }

    @Test
    void anAbsoluteUrlOnTheApiHostIsTheRoutersOriginBySchemeHostAndEffectivePort() {
        assertThat(UpstreamUris.isTheRoutersOrigin(URI.create("https://API.therouter.ai:443/v1/jobs/x/content"), BASE))
                .isTrue();
        assertThat(UpstreamUris.isTheRoutersOrigin(URI.create("https://api.therouter.ai/files/x.png"), BASE)).isTrue();
        assertThat(UpstreamUris.isTheRoutersOrigin(URI.create("http://api.therouter.ai/v1"), BASE)).isFalse();
        assertThat(UpstreamUris.isTheRoutersOrigin(URI.create("https://api.therouter.ai:8443/v1"), BASE)).isFalse();
    }

    @Test
    void anAbsoluteUrlOnAnotherHostIsNot() {
        assertThat(UpstreamUris.isTheRoutersOrigin(URI.create("https://cdn.therouter.ai/x.png"), BASE)).isFalse();
        assertThat(UpstreamUris.isTheRoutersOrigin(URI.create("https://therouter.ai/v1"), BASE)).isFalse();
        assertThat(UpstreamUris.isTheRoutersOrigin(URI.create("https://api.therouter.ai.evil.com/"), BASE)).isFalse();
        assertThat(UpstreamUris.isTheRoutersOrigin(URI.create("//bucket.example/x.png"), BASE)).isFalse();
    }

    @Test
    void aRedirectIsJudgedByWhereItGoes() {
        URI content = URI.create("https://api.therouter.ai/v1/jobs/x/content");
        URI storage = UpstreamUris.redirect(content, URI.create("https://bucket.example/x.png?X-Amz-Signature=s"));
        assertThat(UpstreamUris.isTheRoutersOrigin(storage, BASE)).as("API host to storage").isFalse();
        URI onStorage = UpstreamUris.redirect(storage, URI.create("/moved/x.png"));
        assertThat(onStorage).hasToString("https://bucket.example/moved/x.png");
        assertThat(UpstreamUris.isTheRoutersOrigin(onStorage, BASE)).as("relative, on storage").isFalse();
        URI back = UpstreamUris.redirect(storage, URI.create("https://api.therouter.ai/files/x.png"));
        assertThat(UpstreamUris.isTheRoutersOrigin(back, BASE)).as("storage back to the API host").isTrue();
        assertThat(UpstreamUris.isTheRoutersOrigin(UpstreamUris.redirect(content, URI.create("/files/x.png")), BASE))
                .as("relative, on the API host").isTrue();
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
