package com.acme.imageedit.upstream;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.acme.imageedit.system.AddressPolicy;
import com.acme.imageedit.system.HostResolver;
import io.netty.resolver.AbstractAddressResolver;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Where the TheRouter client may connect: the webhook senders' address policy ({@link AddressPolicy}) applied to
 * every connection it opens, since result URLs and their redirects come from TheRouter's answers and might point
 * anywhere. Loopback, private and link-local addresses are refused unless the base URL's own host is one (a
 * simulator on this machine, a mirror on the internal network); metadata, unspecified and multicast addresses always.
 *
 * <p>It is the client's name resolver, so the check and the connection use the same answer: a DNS answer that changes
 * between them (rebinding) cannot move the request. Address literals are judged too. Names are resolved by the JVM's
 * resolver off the event loop. The scheme rule is the downloader's ({@link #schemeRefusal}).
 */
final class AddressGuard extends AddressResolverGroup<InetSocketAddress> {

    private static final AddressPolicy PUBLIC_ONLY = new AddressPolicy(false, List.of());
    private static final AddressPolicy INTERNAL_TOO = new AddressPolicy(true, List.of());

    private final UpstreamAddress base;
    private final HostResolver resolver;

    AddressGuard(UpstreamAddress base, HostResolver resolver) {
        this.base = base;
        this.resolver = resolver;
    }

    /**
     * Why a result URL may not be fetched by its scheme, or {@code null}: https always, http only while the base URL is
     * http itself (a simulator in test-run), nothing else.
     */
    static String schemeRefusal(URI target, URI base) {
        String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("https") || (scheme.equals("http") && "http".equalsIgnoreCase(base.getScheme()))) {
            return null;
        }
        return "scheme '" + scheme + "' refused: result URLs are fetched over https"
                + ("http".equalsIgnoreCase(base.getScheme()) ? " or http" : "");
    }

    /** Every address {@code address} stands for, once each is allowed; blocking (resolves names). */
    List<InetSocketAddress> judge(InetSocketAddress address) throws IOException {
        String host = address.getHostString();
        List<InetAddress> resolved = address.isUnresolved() ? resolver.resolve(host) : List.of(address.getAddress());
        if (resolved.isEmpty()) {
            throw new UnknownHostException(host);
        }
        AddressPolicy policy = policy();
        List<InetSocketAddress> allowed = new ArrayList<>(resolved.size());
        for (InetAddress candidate : resolved) {
            String refusal = policy.refusal(candidate);
            if (refusal != null) {
                // one bad answer among good ones refuses the host: a resolver may hand out either
                throw new Refused("host " + host + " resolves to a refused address: " + refusal);
            }
            allowed.add(new InetSocketAddress(candidate, address.getPort()));
        }
        return allowed;
    }

    /** Private addresses are allowed only when TheRouter's base URL is itself on one. */
    private AddressPolicy policy() throws UnknownHostException {
        String host = base.baseUrl().getHost();
        if (host == null) {
            return PUBLIC_ONLY;
        }
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        for (InetAddress address : resolver.resolve(bare)) {
            if (PUBLIC_ONLY.refusal(address) != null) {
                return INTERNAL_TOO;
            }
        }
        return PUBLIC_ONLY;
    }

    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new AbstractAddressResolver<>(executor) {
            @Override
            protected boolean doIsResolved(InetSocketAddress address) {
                return false; // an address literal is judged like a name's answer
            }

            @Override
            protected void doResolve(InetSocketAddress address, Promise<InetSocketAddress> promise) {
                Mono.fromCallable(() -> judge(address).get(0)).subscribeOn(Schedulers.boundedElastic())
                        .subscribe(promise::trySuccess, promise::tryFailure);
            }

            @Override
            protected void doResolveAll(InetSocketAddress address, Promise<List<InetSocketAddress>> promise) {
                Mono.fromCallable(() -> judge(address)).subscribeOn(Schedulers.boundedElastic())
                        .subscribe(promise::trySuccess, promise::tryFailure);
            }
        };
    }

    /** A connection the policy does not allow; it was never opened. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }
}
