package com.acme.imageedit.teams;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The per-address token bucket of failed authentications, and whom it counts as one client. */
class FailedAuthenticationLimitTest {

    private static FailedAuthenticationLimit limit(int perAddress, Duration period) {
        return new FailedAuthenticationLimit(new TeamsProperties(List.of(), Duration.ofSeconds(10),
                Duration.ofSeconds(10), new TeamsProperties.FailedAuthentications(perAddress, period), List.of(),
                null));
    }

    private static InetSocketAddress at(String literal) {
        // as the connection gives it (resolved), or as X-Forwarded-For does (unresolved)
        return literal.startsWith("fwd:") ? InetSocketAddress.createUnresolved(literal.substring(4), 80)
                : new InetSocketAddress(literal, 80);
    }

    @Test
    void anAddressIsRefusedOnceItsFailuresAreSpentAndRegainsThemOverThePeriod() {
        FailedAuthenticationLimit limit = limit(3, Duration.ofMillis(600));
        InetSocketAddress client = at("192.0.2.1");

        for (int i = 0; i < 3; i++) {
            assertThat(limit.refusal(client)).isNull();
            limit.failed(client);
        }
        Duration wait = limit.refusal(client);
        assertThat(wait).isNotNull().isPositive().isLessThanOrEqualTo(Duration.ofMillis(200));
        assertThat(limit.refusal(at("192.0.2.2"))).isNull();
        // one failure comes back every 200 ms
        await().atMost(Duration.ofSeconds(5)).until(() -> limit.refusal(client) == null);
        limit.failed(client);
        assertThat(limit.refusal(client)).isNotNull();
    }

    @Test
    void ipv6AddressesCountPerSlash64AndForwardedLiteralsAsTheAddressTheyName() {
        FailedAuthenticationLimit limit = limit(2, Duration.ofHours(1));
        limit.failed(at("2001:db8:1:2::1"));
        limit.failed(at("fwd:[2001:db8:1:2:ffff::7]"));

        assertThat(limit.refusal(at("2001:db8:1:2::99"))).as("same /64").isNotNull();
        assertThat(limit.refusal(at("2001:db8:1:3::1"))).as("next /64").isNull();

        limit.failed(at("fwd:198.51.100.7"));
        limit.failed(at("198.51.100.7"));
        assertThat(limit.refusal(at("fwd:198.51.100.7"))).isNotNull();
        assertThat(limit.refusal(at("198.51.100.8"))).isNull();
        // a forwarded name that is no address is a client of its own, never looked up in DNS
        limit.failed(at("fwd:unknown"));
        limit.failed(at("fwd:unknown"));
        assertThat(limit.refusal(at("fwd:unknown"))).isNotNull();
        assertThat(limit.refusal(at("fwd:999.1.1.1"))).isNull();
    }

    @Test
    void zeroTurnsTheLimitOff() {
        FailedAuthenticationLimit limit = limit(0, Duration.ofMinutes(1));
        for (int i = 0; i < 100; i++) {
            limit.failed(at("192.0.2.1"));
        }
        assertThat(limit.refusal(at("192.0.2.1"))).isNull();
    }

    @Test
    void trackedAddressesAreBounded() {
        FailedAuthenticationLimit limit = limit(1, Duration.ofHours(1));
        for (int i = 0; i < FailedAuthenticationLimit.MAX_ADDRESSES + 10; i++) {
            limit.failed(at("10." + (i >> 16 & 0xff) + "." + (i >> 8 & 0xff) + "." + (i & 0xff)));
        }
        assertThat(limit.tracked()).isLessThanOrEqualTo(FailedAuthenticationLimit.MAX_ADDRESSES);
    }
}
