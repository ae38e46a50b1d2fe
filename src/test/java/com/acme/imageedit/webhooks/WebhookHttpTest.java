package com.acme.imageedit.webhooks;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The sender's HTTP client connects to the address the guard checked, never to a new DNS answer for the name. */
class WebhookHttpTest {

    @Test
    void connectsToThePinnedAddressAndSendsTheUrlsHostAndNoRedirectIsFollowed() throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.thenAnswer(TestReceiver.Reply.status(302, "Location", receiver.url("/elsewhere")));
            WebhookHttp http = new WebhookHttp(WebhookUrlGuardTest.properties(false, List.of()),
                    new DefaultListableBeanFactory().getBeanProvider(Tracer.class),
                    new DefaultListableBeanFactory().getBeanProvider(Propagator.class));
            try {
                // A name that resolves nowhere: the request can only arrive if the client never looks it up.
                String host = "hooks.receiver.invalid";
                WebhookTarget target = new WebhookTarget(URI.create("http://" + host + ":" + receiver.port()
                        + "/in?a=1"), host, receiver.port(), false, InetAddress.getByName("127.0.0.1"));

                WebhookHttp.Answer redirect = http.post(target, Map.of("webhook-id", "msg_1"), "{\"n\":1}")
                        .block(Duration.ofSeconds(10));
                WebhookHttp.Answer ok = http.post(target, Map.of("webhook-id", "msg_1"), "{\"n\":1}")
                        .block(Duration.ofSeconds(10));

                assertThat(redirect.status()).isEqualTo(302);
                assertThat(ok.status()).isEqualTo(200);
                assertThat(receiver.all()).hasSize(2).allSatisfy(request -> {
                    assertThat(request.uri()).isEqualTo("/in?a=1");
                    assertThat(request.header("host")).isEqualTo(host + ":" + receiver.port());
                    assertThat(request.header("webhook-id")).isEqualTo("msg_1");
                    assertThat(request.header("content-type")).isEqualTo("application/json");
                    assertThat(request.body()).isEqualTo("{\"n\":1}");
                });
            } finally {
                http.destroy();
            }
        }
    }
}
