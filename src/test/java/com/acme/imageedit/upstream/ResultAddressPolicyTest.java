package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.acme.imageedit.system.HostResolver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/**
 * Result URLs come from TheRouter's answers: they are fetched over https only (or http while the base URL is http),
 * and never from a loopback, private, link-local or metadata address unless the base URL is itself internal. The
 * address check is the client's name resolver, so it holds for every hop and for address literals, and a refused
 * address is never connected to. (Results on loopback while the base URL is loopback too, as in test-run and these
 * tests' WireMock, are fetched by {@link TheRouterClientDownloadTest}.)
 */
class ResultAddressPolicyTest extends TheRouterWireMock {

    /** A fake DNS: TheRouter's name is public here; the others are what a bad result URL could point at. */
    private static final Map<String, List<String>> DNS = Map.of(
            "therouter.test", List.of("203.0.113.10"),
            "evil.test", List.of("127.0.0.1"),
            "lan.test", List.of("10.1.2.3"),
            "linklocal.test", List.of("169.254.10.10"),
            "metadata.test", List.of("169.254.169.254"),
            "mixed.test", List.of("93.184.216.34", "192.168.1.5"));

    private final List<String> lookedUp = new CopyOnWriteArrayList<>();
    private final HostResolver fakeDns = host -> {
        lookedUp.add(host);
        List<String> answer = DNS.get(host);
        if (answer == null) {
            throw new UnknownHostException(host);
        }
        return answer.stream().map(ResultAddressPolicyTest::literal).toList();
    };

    @BeforeEach
    void anythingServed() {
        upstream.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody(TheRouterClientSubmitTest.PNG)));
    }

    @Test
    void internalAddressesAreRefusedWhenTheBaseUrlIsPublicWhateverTheUrlNamesThem() {
        TheRouterClient client = clientWithBase("http://therouter.test");
        int port = upstream.port();
        for (String url : List.of("http://evil.test:" + port + "/r.png", "http://127.0.0.1:" + port + "/r.png",
                "http://[::1]:" + port + "/r.png", "http://lan.test:" + port + "/r.png",
                "http://linklocal.test/r.png", "http://metadata.test/latest/meta-data/", "http://mixed.test/r.png")) {
            StepVerifier.create(client.downloadResult(resultAt(url), OriginGate.NONE))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).as(url).isInstanceOf(UpstreamException.Rejected.class)
                                .hasMessageContaining("refused address");
                        assertThat(((UpstreamException) e).error().code()).isEqualTo(UpstreamFailures.ADDRESS_REFUSED);
                    })
                    .verify(Duration.ofSeconds(5));
        }
        assertThat(upstream.getAllServeEvents()).as("requests that reached a refused address").isEmpty();
    }

    @Test
    void onlyHttpsWhileTheBaseUrlIsHttps() {
        TheRouterClient client = clientWithBase("https://therouter.test");

        for (String url : List.of("http://cdn.example/r.png", "ftp://cdn.example/r.png", "file:///etc/passwd")) {
            StepVerifier.create(client.downloadResult(resultAt(url), OriginGate.NONE))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).as(url).isInstanceOf(UpstreamException.Rejected.class)
                                .hasMessageContaining("result URLs are fetched over https");
                        assertThat(((UpstreamException) e).error().code()).isEqualTo(UpstreamFailures.ADDRESS_REFUSED);
                    })
                    .verify(Duration.ofSeconds(5));
        }
        assertThat(lookedUp).as("refused by scheme before any lookup").isEmpty();
    }

    @Test
    void internalAddressesAreAllowedWhenTheBaseUrlIsOnOne() {
        TheRouterClient client = clientWithBase("http://lan.test");

        StepVerifier.create(client.downloadResult(resultAt("http://evil.test:" + upstream.port() + "/r.png"),
                        OriginGate.NONE))
                .assertNext(image -> assertThat(image.contentType()).isEqualTo("image/png"))
                .verifyComplete();
        StepVerifier.create(client.downloadResult(resultAt("http://metadata.test/latest/"), OriginGate.NONE))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("metadata"))
                .verify(Duration.ofSeconds(5));
    }

    /** A succeeded job whose only candidate is {@code url} (no id, hence no /content fallback). */
    private static UpstreamJob resultAt(String url) {
        return new UpstreamJob("", "succeeded", "m", null, null, List.of(url), null, null);
    }

    private TheRouterClient clientWithBase(String base) {
        TheRouterProperties properties = new TheRouterProperties(URI.create(base), API_KEY, Duration.ofSeconds(1),
                RESPONSE_TIMEOUT, Duration.ofSeconds(2), DataSize.ofMegabytes(1));
        return UpstreamConfiguration.createClient(WebClient.builder(), properties::baseUrl, properties,
                JsonMapper.builder().build(), connections, fakeDns, Clock.systemUTC());
    }

    private static InetAddress literal(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
