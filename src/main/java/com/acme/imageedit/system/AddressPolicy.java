package com.acme.imageedit.system;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Which addresses the service may send a request to on someone else's word (a webhook receiver a team named, a result
 * URL TheRouter handed out). Public unicast addresses are; loopback, private, unique-local, link-local, shared (CGNAT)
 * and reserved ranges are not unless private addresses are allowed ({@code webhooks.allow-private}; for result URLs,
 * a base URL of TheRouter that is itself internal); the cloud metadata addresses, unspecified and multicast addresses
 * never are, unless a block in the allowed networks ({@code webhooks.allowed-networks}) names them. IPv6 addresses that carry an IPv4 address a packet to them ends up at are judged as that IPv4 address:
 * IPv4-mapped ({@code ::ffff:0:0/96}) and IPv4-compatible ({@code ::/96}), NAT64 ({@code 64:ff9b::/96}, the address in
 * the last 32 bits), 6to4 ({@code 2002::/16}, in bits 16-47) and Teredo ({@code 2001::/32}, the client's address in
 * the last 32 bits, inverted).
 * <p>
 * A refusal names the rule, never the address: the address may be what an internal name resolves to, which is not the
 * caller's to learn.
 */
public final class AddressPolicy {

    private static final List<Block> INTERNAL = List.of(
            new Block("127.0.0.0/8", Rule.LOOPBACK), new Block("::1/128", Rule.LOOPBACK),
            new Block("10.0.0.0/8", Rule.PRIVATE), new Block("172.16.0.0/12", Rule.PRIVATE),
            new Block("192.168.0.0/16", Rule.PRIVATE), new Block("fc00::/7", Rule.PRIVATE),
            new Block("100.64.0.0/10", Rule.SHARED),
            new Block("169.254.0.0/16", Rule.LINK_LOCAL), new Block("fe80::/10", Rule.LINK_LOCAL),
            new Block("0.0.0.0/8", Rule.RESERVED), new Block("192.0.0.0/24", Rule.RESERVED),
            new Block("198.18.0.0/15", Rule.RESERVED), new Block("240.0.0.0/4", Rule.RESERVED));

    /** Never by allow-private: reaching these from a server is how credentials are stolen. */
    private static final List<Block> NEVER = List.of(
            new Block("169.254.169.254/32", Rule.METADATA), new Block("169.254.170.2/32", Rule.METADATA),
            new Block("fd00:ec2::254/128", Rule.METADATA), new Block("100.100.100.200/32", Rule.METADATA),
            new Block("0.0.0.0/32", Rule.UNSPECIFIED), new Block("::/128", Rule.UNSPECIFIED),
            new Block("224.0.0.0/4", Rule.MULTICAST), new Block("ff00::/8", Rule.MULTICAST),
            new Block("255.255.255.255/32", Rule.MULTICAST));

    private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");
    private static final Cidr SIX_TO_FOUR = Cidr.parse("2002::/16");
    private static final Cidr TEREDO = Cidr.parse("2001::/32");

    private final boolean allowPrivate;
    private final List<Cidr> allowed;

    public AddressPolicy(boolean allowPrivate, List<String> allowedNetworks) {
        this.allowPrivate = allowPrivate;
        this.allowed = allowedNetworks.stream().map(Cidr::parse).toList();
    }

    /**
     * Why {@code address} is refused, or {@code null} when it is allowed: the rule that refused it (such as "a private
     * address", "a loopback address carried in a 6to4 address"), without the address itself.
     */
    public String refusal(InetAddress address) {
        Embedded embedded = embeddedIpv4(address);
        InetAddress judged = embedded == null ? address : embedded.ipv4();
        if (allowed.stream().anyMatch(block -> block.contains(judged) || block.contains(address))) {
            return null;
        }
        Rule rule = NEVER.stream().filter(block -> block.cidr().contains(judged)).map(Block::rule).findFirst()
                .orElse(judged.isMulticastAddress() ? Rule.MULTICAST : judged.isAnyLocalAddress() ? Rule.UNSPECIFIED
                        : null);
        if (rule == null && !allowPrivate) {
            rule = INTERNAL.stream().filter(block -> block.cidr().contains(judged)).map(Block::rule).findFirst()
                    .orElse(judged.isLoopbackAddress() ? Rule.LOOPBACK : judged.isLinkLocalAddress() ? Rule.LINK_LOCAL
                            : judged.isSiteLocalAddress() ? Rule.PRIVATE : null);
        }
        if (rule == null) {
            return null;
        }
        return embedded == null ? rule.description : rule.description + " carried in " + embedded.form();
    }

    /**
     * The IPv4 address an IPv6 address delivers to, or null when it carries none: ::ffff:10.0.0.1 and ::10.0.0.1 reach
     * 10.0.0.1 directly, 64:ff9b::a00:1 through a NAT64 gateway, 2002:a00:1:: through a 6to4 relay, and a Teredo
     * address through a Teredo relay to its client's (inverted) address.
     */
    private static Embedded embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return null;
        }
        byte[] b = address.getAddress();
        if (NAT64.contains(address)) {
            return new Embedded(ipv4(b[12], b[13], b[14], b[15]), "a NAT64 address");
        }
        if (SIX_TO_FOUR.contains(address)) {
            return new Embedded(ipv4(b[2], b[3], b[4], b[5]), "a 6to4 address");
        }
        if (TEREDO.contains(address)) {
            return new Embedded(ipv4((byte) ~b[12], (byte) ~b[13], (byte) ~b[14], (byte) ~b[15]),
                    "a Teredo address");
        }
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return null;
            }
        }
        boolean mapped = (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean compatible = b[10] == 0 && b[11] == 0 && !(b[12] == 0 && b[13] == 0 && b[14] == 0);
        if (!mapped && !compatible) {
            return null;
        }
        return new Embedded(ipv4(b[12], b[13], b[14], b[15]), mapped ? "an IPv4-mapped address"
                : "an IPv4-compatible address");
    }

    private static InetAddress ipv4(byte a, byte b, byte c, byte d) {
        try {
            return Inet4Address.getByAddress(new byte[] {a, b, c, d});
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
    }

    /** The kinds of address refused, as a refusal describes them. */
    enum Rule {
        LOOPBACK("a loopback address"),
        PRIVATE("a private address"),
        SHARED("a shared (carrier-grade NAT) address"),
        LINK_LOCAL("a link-local address"),
        RESERVED("a reserved address"),
        METADATA("a cloud metadata address"),
        UNSPECIFIED("the unspecified address"),
        MULTICAST("a multicast or broadcast address");

        private final String description;

        Rule(String description) {
            this.description = description;
        }
    }

    private record Block(Cidr cidr, Rule rule) {
        Block(String cidr, Rule rule) {
            this(Cidr.parse(cidr), rule);
        }
    }

    private record Embedded(InetAddress ipv4, String form) {
    }
}
