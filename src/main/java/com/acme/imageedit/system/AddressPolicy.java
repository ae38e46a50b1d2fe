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
 * never are, unless a block in the allowed networks ({@code webhooks.allowed-networks}) names them. IPv4-mapped and
 * IPv4-compatible IPv6 addresses are judged as the IPv4 address they carry.
 */
public final class AddressPolicy {

    private static final List<Cidr> INTERNAL = List.of(
            Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"),
            Cidr.parse("10.0.0.0/8"), Cidr.parse("172.16.0.0/12"), Cidr.parse("192.168.0.0/16"),
            Cidr.parse("100.64.0.0/10"), Cidr.parse("fc00::/7"),
            Cidr.parse("169.254.0.0/16"), Cidr.parse("fe80::/10"),
            Cidr.parse("0.0.0.0/8"), Cidr.parse("192.0.0.0/24"), Cidr.parse("198.18.0.0/15"),
            Cidr.parse("240.0.0.0/4"));

    /** Never by allow-private: reaching these from a server is how credentials are stolen. */
    private static final List<Cidr> NEVER = List.of(
            Cidr.parse("169.254.169.254/32"), Cidr.parse("169.254.170.2/32"), Cidr.parse("fd00:ec2::254/128"),
            Cidr.parse("100.100.100.200/32"), Cidr.parse("0.0.0.0/32"), Cidr.parse("::/128"),
            Cidr.parse("224.0.0.0/4"), Cidr.parse("ff00::/8"), Cidr.parse("255.255.255.255/32"));

    private final boolean allowPrivate;
    private final List<Cidr> allowed;

    public AddressPolicy(boolean allowPrivate, List<String> allowedNetworks) {
        this.allowPrivate = allowPrivate;
        this.allowed = allowedNetworks.stream().map(Cidr::parse).toList();
    }

    /** Why {@code address} is refused, or {@code null} when it is allowed. */
    public String refusal(InetAddress address) {
        InetAddress judged = embeddedIpv4(address);
        if (allowed.stream().anyMatch(block -> block.contains(judged))) {
            return null;
        }
        if (NEVER.stream().anyMatch(block -> block.contains(judged)) || judged.isMulticastAddress()
                || judged.isAnyLocalAddress()) {
            return judged.getHostAddress() + " is a metadata, unspecified or multicast address";
        }
        boolean internal = INTERNAL.stream().anyMatch(block -> block.contains(judged))
                || judged.isLoopbackAddress() || judged.isLinkLocalAddress() || judged.isSiteLocalAddress();
        if (internal && !allowPrivate) {
            return judged.getHostAddress() + " is a loopback, private or link-local address";
        }
        return null;
    }

    /** ::ffff:10.0.0.1 and ::10.0.0.1 reach 10.0.0.1, so they are judged as it. */
    private static InetAddress embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] b = address.getAddress();
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return address;
            }
        }
        boolean mapped = (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean compatible = b[10] == 0 && b[11] == 0 && !(b[12] == 0 && b[13] == 0 && b[14] == 0);
        if (!mapped && !compatible) {
            return address;
        }
        try {
            return Inet4Address.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException e) {
            return address;
        }
    }
}
