package com.acme.imageedit.webhooks;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

import com.acme.imageedit.jobs.CallbackUrlCheck;
import com.acme.imageedit.system.AddressPolicy;
import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.system.HostResolver;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The SSRF guard: a receiver URL must be http(s) without credentials, and every address its host resolves to must be
 * allowed by the {@link AddressPolicy} (one bad answer among good ones refuses it: a resolver may return either).
 * It judges URLs when they are given (submit, subscribe) and again before every attempt, and hands the sender the
 * address it checked.
 */
@Component
class WebhookUrlGuard implements CallbackUrlCheck {

    static final int MAX_URL_LENGTH = 2048;

    private final HostResolver resolver;
    private final AddressPolicy policy;
    private final WebhooksProperties properties;

    WebhookUrlGuard(HostResolver resolver, WebhooksProperties properties) {
        this.resolver = resolver;
        this.properties = properties;
        this.policy = new AddressPolicy(properties.allowPrivate(), properties.allowedNetworks());
    }

    @Override
    public Mono<Void> check(String url) {
        return judge(url).onErrorMap(Refused.class, e -> ApiException.badRequest("callback_url", e.getMessage()))
                .then();
    }

    /** A URL given through the API: refusals are 400s naming {@code field}. */
    Mono<WebhookTarget> checkGiven(String url, String field) {
        return judge(url).onErrorMap(Refused.class, e -> ApiException.badRequest(field, e.getMessage()));
    }

    /** The URL judged now; fails with {@link Refused} when it may not be called. */
    Mono<WebhookTarget> judge(String url) {
        URI uri;
        try {
            uri = parse(url);
        } catch (Refused e) {
            return Mono.error(e);
        }
        String host = uri.getHost();
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        boolean secure = uri.getScheme().equalsIgnoreCase("https");
        int port = uri.getPort() != -1 ? uri.getPort() : secure ? 443 : 80;
        // Resolution blocks (the JVM resolver), so it runs on the bounded elastic pool, never on an event loop.
        return Mono.fromCallable(() -> resolver.resolve(bare))
                .subscribeOn(Schedulers.boundedElastic())
                .timeout(properties.dnsTimeout())
                .onErrorMap(UnknownHostException.class, e -> new Refused("host " + bare + " does not resolve"))
                .onErrorMap(TimeoutException.class, e -> new Refused("host " + bare + " did not resolve within "
                        + properties.dnsTimeout().toSeconds() + " s"))
                .map(addresses -> pick(bare, addresses))
                .map(address -> new WebhookTarget(uri, bare, port, secure, address));
    }

    private InetAddress pick(String host, List<InetAddress> addresses) {
        if (addresses.isEmpty()) {
            throw new Refused("host " + host + " does not resolve");
        }
        for (InetAddress address : addresses) {
            String refusal = policy.refusal(address);
            if (refusal != null) {
                // the rule, not the address: what an internal name resolves to is not the caller's to learn
                throw new Refused("URL host " + host + " resolves to " + refusal + ", which is refused (see "
                        + "webhooks.allowed-networks)");
            }
        }
        return addresses.get(0);
    }

    private static URI parse(String url) {
        if (url == null || url.isBlank()) {
            throw new Refused("the URL is empty");
        }
        if (url.length() > MAX_URL_LENGTH) {
            throw new Refused("the URL must be at most " + MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new Refused("the URL is malformed: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new Refused("the URL must be http or https");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new Refused("the URL must name a host");
        }
        if (uri.getRawUserInfo() != null) {
            throw new Refused("the URL must not carry credentials; verify our signature instead");
        }
        if (uri.getRawFragment() != null) {
            throw new Refused("the URL must not have a fragment");
        }
        return uri;
    }

    /** A URL that may not be called, and why (safe to show to the team that gave it). */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }
}
