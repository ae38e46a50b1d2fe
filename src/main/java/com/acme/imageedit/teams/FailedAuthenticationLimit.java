package com.acme.imageedit.teams;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Failed authentications per client address ({@code teams.failed-authentications}), one token bucket per address and
 * replica: each failure takes a token, an address regains {@code per-address} tokens per {@code period}, and an address
 * without a token is refused before its key is looked up. So a client trying keys costs the database at most
 * {@code per-address} look-ups per period, however fast it sends them.
 * <p>
 * At most {@value #MAX_ADDRESSES} addresses are tracked; past that, buckets that have filled up again (addresses that
 * stopped failing) are dropped first, and if none has, all are: a flood from that many addresses is beyond what a
 * per-address limit can stop, and the negative key cache still answers its repeated keys without a look-up.
 */
@Component
class FailedAuthenticationLimit {

    static final int MAX_ADDRESSES = 10_000;

    private final int capacity;
    /** Nanoseconds in which an address regains one failure. */
    private final long nanosPerToken;
    private final Map<Client, Bucket> buckets = new ConcurrentHashMap<>();

    FailedAuthenticationLimit(TeamsProperties properties) {
        this.capacity = properties.failedAuthentications().perAddress();
        this.nanosPerToken = capacity == 0 ? 0 : properties.failedAuthentications().period().toNanos() / capacity;
    }

    /** How long {@code address} must wait before it may try a key again, or null when it may now. */
    @Nullable
    Duration refusal(@Nullable InetSocketAddress address) {
        if (capacity == 0 || address == null) {
            return null;
        }
        Bucket bucket = buckets.get(Client.of(address));
        return bucket == null ? null : bucket.waitBeforeNext(System.nanoTime());
    }

    /** Counts a failed authentication of {@code address}. */
    void failed(@Nullable InetSocketAddress address) {
        if (capacity == 0 || address == null) {
            return;
        }
        Client client = Client.of(address);
        Bucket bucket = buckets.get(client);
        if (bucket == null) {
            if (buckets.size() >= MAX_ADDRESSES) {
                long now = System.nanoTime();
                buckets.values().removeIf(b -> b.full(now));
                if (buckets.size() >= MAX_ADDRESSES) {
                    buckets.clear();
                }
            }
            bucket = buckets.computeIfAbsent(client, c -> new Bucket());
        }
        bucket.take(System.nanoTime());
    }

    /** How many addresses are tracked now. */
    int tracked() {
        return buckets.size();
    }

    /** A token bucket of failures; synchronised on itself (one address's requests rarely contend). */
    private final class Bucket {

        private double tokens = capacity;
        private long refilledAt = System.nanoTime();

        synchronized void take(long now) {
            refill(now);
            tokens = Math.max(0, tokens - 1);
        }

        synchronized Duration waitBeforeNext(long now) {
            refill(now);
            if (tokens >= 1) {
                return null;
            }
            return Duration.ofNanos((long) Math.ceil((1 - tokens) * nanosPerToken));
        }

        synchronized boolean full(long now) {
            refill(now);
            return tokens >= capacity;
        }

        private void refill(long now) {
            tokens = Math.min(capacity, tokens + (double) (now - refilledAt) / nanosPerToken);
            refilledAt = now;
        }
    }

    /**
     * Whom a bucket belongs to: an IPv4 address, or the /64 network of an IPv6 address (one subscriber's network, in
     * which its addresses cost it nothing to change).
     */
    private record Client(String network) {

        static Client of(InetSocketAddress address) {
            InetAddress ip = address.getAddress() != null ? address.getAddress() : literal(address.getHostString());
            if (ip == null) {
                // known only by a name a forwarded header gave
                return new Client("name:" + address.getHostString());
            }
            byte[] bytes = ip.getAddress();
            return ip instanceof Inet6Address ? new Client("v6:" + HexFormat.of().formatHex(bytes, 0, 8))
                    : new Client("v4:" + HexFormat.of().formatHex(bytes));
        }

        /**
         * The address a forwarded header names (Spring leaves it unresolved), or null when it is no IP literal. Never
         * a DNS look-up: IPv4 is parsed here, and the JDK parses text with a colon as an IPv6 literal or refuses it.
         */
        @Nullable
        private static InetAddress literal(String host) {
            String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            try {
                if (bare.indexOf(':') >= 0) {
                    return InetAddress.getByName(bare);
                }
                String[] parts = bare.split("\\.", -1);
                if (parts.length != 4) {
                    return null;
                }
                byte[] bytes = new byte[4];
                for (int i = 0; i < 4; i++) {
                    if (!parts[i].matches("\\d{1,3}") || Integer.parseInt(parts[i]) > 255) {
                        return null;
                    }
                    bytes[i] = (byte) Integer.parseInt(parts[i]);
                }
                return InetAddress.getByAddress(bytes);
            } catch (UnknownHostException e) {
                return null;
            }
        }
    }
}
