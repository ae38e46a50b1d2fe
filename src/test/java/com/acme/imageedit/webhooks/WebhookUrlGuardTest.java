package com.acme.imageedit.webhooks;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The SSRF guard against a resolver the test controls, so that "a name that resolves to a private address" and
 * "a name whose DNS answer changed" need no real DNS.
 */
class WebhookUrlGuardTest {

    private static final Map<String, List<String>> DNS = Map.of(
            "hooks.example.com", List.of("93.184.216.34"),
            "internal.example.com", List.of("10.1.2.3"),
            "mixed.example.com", List.of("93.184.216.34", "192.168.1.10"),
            "metadata.example.com", List.of("169.254.169.254"),
            "v6-internal.example.com", List.of("fd12:3456::1"),
            "mapped.example.com", List.of("::ffff:10.0.0.1"),
            // 10.0.0.1 through NAT64, 6to4 and Teredo (the client's address inverted: 10.0.0.1 ^ 0xffffffff)
            "nat64.example.com", List.of("64:ff9b::a00:1"),
            "6to4.example.com", List.of("2002:a00:1::1"),
            "teredo.example.com", List.of("2001:0:4136:e378:8000:63bf:f5ff:fffe"));

    private static WebhookUrlGuard guard(boolean allowPrivate, List<String> allowedNetworks) {
        return new WebhookUrlGuard(host -> {
            List<String> answers = DNS.get(host);
            if (answers == null) {
                if (host.matches("[0-9a-fA-F:.]+")) {
                    return List.of(InetAddress.getByName(host));
                }
                throw new UnknownHostException(host);
            }
            return answers.stream().map(WebhookUrlGuardTest::literal).toList();
        }, properties(allowPrivate, allowedNetworks));
    }

    private static InetAddress literal(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static WebhooksProperties properties(boolean allowPrivate, List<String> allowedNetworks) {
        return new WebhooksProperties(true, List.of(Duration.ZERO), 0.1, Duration.ofHours(1), Duration.ofSeconds(15),
                Duration.ofSeconds(5), Duration.ofMinutes(1), 32, 64, 4, Duration.ofSeconds(1), Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofHours(24), allowPrivate, allowedNetworks, null, List.of(),
                Duration.ofSeconds(5), Duration.ofSeconds(15));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8080/hook", "http://10.0.0.1/hook",
            "http://172.16.5.4/", "http://192.168.0.1/", "http://[::1]/", "http://[fe80::1]/", "http://[fd00::1]/",
            "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/", "http://100.64.0.1/",
            "http://[::ffff:127.0.0.1]/", "http://internal.example.com/hook", "http://mixed.example.com/hook",
            "http://v6-internal.example.com/", "http://mapped.example.com/", "http://metadata.example.com/",
            "http://nat64.example.com/", "http://6to4.example.com/", "http://teredo.example.com/",
            "ftp://hooks.example.com/x", "file:///etc/passwd", "gopher://hooks.example.com/", "hooks.example.com/x",
            "http://user:pass@hooks.example.com/", "http://nowhere.invalid/", "http:///no-host", ""})
    void refusesWhatIsNotAPublicHttpReceiver(String url) {
        assertThatThrownBy(() -> guard(false, List.of()).judge(url).block())
                .isInstanceOf(WebhookUrlGuard.Refused.class);
    }

    /** Each IPv6 form that delivers to an embedded IPv4 address is judged as that address. */
    @ParameterizedTest
    @CsvSource({
            // NAT64 (64:ff9b::/96): the last 32 bits
            "64:ff9b::a00:1, a private address carried in a NAT64 address",
            "64:ff9b::7f00:1, a loopback address carried in a NAT64 address",
            "64:ff9b::a9fe:a9fe, a cloud metadata address carried in a NAT64 address",
            "64:ff9b::6440:1, a shared (carrier-grade NAT) address carried in a NAT64 address",
            // 6to4 (2002::/16): bits 16-47
            "2002:a00:1::1, a private address carried in a 6to4 address",
            "2002:c0a8:101:1::1, a private address carried in a 6to4 address",
            "2002:7f00:1::, a loopback address carried in a 6to4 address",
            "2002:a9fe:a9fe::1, a cloud metadata address carried in a 6to4 address",
            // Teredo (2001::/32): the client's address is the last 32 bits inverted
            "2001:0:4136:e378:8000:63bf:f5ff:fffe, a private address carried in a Teredo address",
            "2001:0:4136:e378:8000:63bf:80ff:fffe, a loopback address carried in a Teredo address",
            "2001:0:4136:e378:8000:63bf:5601:5601, a cloud metadata address carried in a Teredo address",
            // and the forms judged before
            // (Java itself turns an IPv4-mapped literal into the IPv4 address it maps)
            "::ffff:a00:1, a private address",
            "::a00:1, a private address carried in an IPv4-compatible address"})
    void ipv6FormsCarryingAnInternalIpv4AddressAreJudgedAsIt(String literal, String rule) {
        assertThatThrownBy(() -> guard(false, List.of()).judge("http://[" + literal + "]/hook").block())
                .isInstanceOf(WebhookUrlGuard.Refused.class)
                .hasMessage("URL host " + literal + " resolves to " + rule
                        + ", which is refused (see webhooks.allowed-networks)");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "64:ff9b::5db8:d822", "2002:5db8:d822::1",
            // Teredo client 93.184.216.34, inverted: a247:27dd
            "2001:0:4136:e378:8000:63bf:a247:27dd"})
    void ipv6FormsCarryingAPublicIpv4AddressAreAccepted(String literal) {
        assertThat(guard(false, List.of()).judge("http://[" + literal + "]/hook").block().address())
                .isEqualTo(literal(literal));
    }

    @Test
    void embeddedPrivateAddressesFollowAllowPrivateAndAllowedNetworksButMetadataDoesNot() {
        assertThat(guard(true, List.of()).judge("http://[64:ff9b::a00:1]/").block()).isNotNull();
        assertThat(guard(false, List.of("10.0.0.0/8")).judge("http://teredo.example.com/").block()).isNotNull();
        assertThatThrownBy(() -> guard(true, List.of()).judge("http://[2002:a9fe:a9fe::1]/").block())
                .isInstanceOf(WebhookUrlGuard.Refused.class).hasMessageContaining("cloud metadata");
    }

    /** A name's refusal says which rule refused it, never the address the name resolved to. */
    @ParameterizedTest
    @CsvSource({
            "internal.example.com, 10.1.2.3, a private address",
            "mixed.example.com, 192.168.1.10, a private address",
            "metadata.example.com, 169.254.169.254, a cloud metadata address",
            "v6-internal.example.com, fd12:3456::1, a private address",
            "mapped.example.com, 10.0.0.1, a private address",
            "nat64.example.com, a00:1, a private address carried in a NAT64 address",
            "6to4.example.com, 2002:a00:1, a private address carried in a 6to4 address",
            "teredo.example.com, f5ff:fffe, a private address carried in a Teredo address"})
    void refusalsOfNamesNameTheRuleButNotTheResolvedAddress(String host, String resolved, String rule) {
        assertThatThrownBy(() -> guard(false, List.of()).check("https://" + host + "/hook").block())
                .isInstanceOf(com.acme.imageedit.system.ApiException.class)
                .hasMessage("URL host " + host + " resolves to " + rule
                        + ", which is refused (see webhooks.allowed-networks)")
                .hasMessageNotContaining(resolved);
    }

    @Test
    void acceptsAPublicReceiverAndPinsTheAddressItChecked() {
        WebhookTarget target = guard(false, List.of()).judge("https://hooks.example.com/in?x=1").block();

        assertThat(target.host()).isEqualTo("hooks.example.com");
        assertThat(target.port()).isEqualTo(443);
        assertThat(target.secure()).isTrue();
        assertThat(target.address().getHostAddress()).isEqualTo("93.184.216.34");
    }

    @Test
    void allowedNetworksOpenExactlyTheirBlocks() {
        WebhookUrlGuard guard = guard(false, List.of("10.0.0.0/8", "127.0.0.1/32"));

        assertThat(guard.judge("http://internal.example.com/hook").block().address().getHostAddress())
                .isEqualTo("10.1.2.3");
        assertThat(guard.judge("http://127.0.0.1:9000/").block().port()).isEqualTo(9000);
        assertThatThrownBy(() -> guard.judge("http://192.168.0.1/").block())
                .isInstanceOf(WebhookUrlGuard.Refused.class);
    }

    @Test
    void allowPrivateStillRefusesMetadataUnspecifiedAndMulticast() {
        WebhookUrlGuard guard = guard(true, List.of());

        assertThat(guard.judge("http://10.0.0.1/").block()).isNotNull();
        assertThat(guard.judge("http://[::1]:8080/").block()).isNotNull();
        for (String url : List.of("http://169.254.169.254/", "http://metadata.example.com/", "http://0.0.0.0/",
                "http://224.0.0.1/")) {
            assertThatThrownBy(() -> guard.judge(url).block()).as(url).isInstanceOf(WebhookUrlGuard.Refused.class);
        }
    }

    @Test
    void refusalsThroughTheApiAreBadRequestsNamingTheField() {
        assertThatThrownBy(() -> guard(false, List.of()).check("http://10.0.0.1/").block())
                .isInstanceOf(com.acme.imageedit.system.ApiException.class)
                .hasMessageContaining("10.0.0.1")
                .satisfies(e -> assertThat(((com.acme.imageedit.system.ApiException) e).field())
                        .isEqualTo("callback_url"));
    }
}
