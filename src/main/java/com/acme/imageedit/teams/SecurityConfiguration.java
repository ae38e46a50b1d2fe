package com.acme.imageedit.teams;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.system.ProblemRendering;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Bearer team keys for every {@code /v1} endpoint; admin keys for {@code /v1/admin}. Stateless: no session, no
 * cookies, no CSRF (no browser session to ride on). Refusals are problem+json like every other error.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    @Bean
    SecurityWebFilterChain securityWebFilterChain(ServerHttpSecurity http, TeamDirectory directory,
                                                  FailedAuthenticationLimit failures, ProblemRendering problems,
                                                  MeterRegistry registry) {
        AuthenticationWebFilter bearer = new AuthenticationWebFilter(authenticationManager(directory, failures));
        bearer.setServerAuthenticationConverter(bearerKeys());
        // Public endpoints (health, the signed result links) ignore a key rather than refuse a wrong one.
        bearer.setRequiresAuthenticationMatcher(ServerWebExchangeMatchers.pathMatchers("/v1/**"));
        bearer.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());
        Counter invalidKeys = refusals(registry, "invalid_key");
        Counter tooManyFailures = refusals(registry, "too_many_failures");
        bearer.setAuthenticationFailureHandler((filterExchange, failure) -> {
            ServerWebExchange exchange = filterExchange.getExchange();
            if (failure instanceof TooManyFailures tooMany) {
                tooManyFailures.increment();
                long seconds = Math.max(1, (tooMany.retryAfter.toMillis() + 999) / 1000);
                return problems.write(exchange, new ApiException(HttpStatus.TOO_MANY_REQUESTS,
                        "too_many_failed_authentications", HttpHeaders.AUTHORIZATION, "Too many requests with keys "
                        + "that are not valid came from this address (teams.failed-authentications); retry after "
                        + seconds + " s").withHeader(HttpHeaders.RETRY_AFTER, String.valueOf(seconds)));
            }
            invalidKeys.increment();
            failures.failed(exchange.getRequest().getRemoteAddress());
            return problems.write(exchange, ApiException.unauthorized("The API key is not valid"));
        });
        return http
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .addFilterAt(bearer, SecurityWebFiltersOrder.AUTHENTICATION)
                .authorizeExchange(exchanges -> exchanges
                        .pathMatchers("/v1/admin/**").hasRole("ADMIN")
                        .pathMatchers("/v1/**").authenticated()
                        .anyExchange().permitAll())
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint((exchange, denied) -> problems.write(exchange,
                                ApiException.unauthorized("Send your team's API key as 'Authorization: Bearer <key>'")))
                        .accessDeniedHandler((exchange, denied) -> problems.write(exchange,
                                ApiException.forbidden("This endpoint needs an admin key"))))
                .build();
    }

    /**
     * Requests Spring Security's firewall refuses (encoded slashes, dot segments, odd characters in the path) get a
     * problem+json too, not an empty 400.
     */
    @Bean
    ServerExchangeRejectedHandler problemForRejectedExchanges(ProblemRendering problems) {
        return (exchange, rejected) -> problems.write(exchange, ApiException.badRequest("path",
                "The request path is not acceptable: " + rejected.getMessage()));
    }

    /**
     * A key this replica knows (an admin key, a team key looked up within {@code teams.key-cache-ttl}) authenticates
     * at once. Any other is looked up in PostgreSQL, unless its client address is over its failed authentications
     * ({@link FailedAuthenticationLimit}): then it is refused 429 without a query.
     */
    private static ReactiveAuthenticationManager authenticationManager(TeamDirectory directory,
                                                                       FailedAuthenticationLimit failures) {
        return authentication -> {
            String hash = KeyHashes.hash((String) authentication.getCredentials());
            TeamPrincipal known = directory.known(hash);
            if (known != null) {
                return Mono.just(authenticated(known));
            }
            Duration wait = failures.refusal(authentication.getDetails() instanceof InetSocketAddress client
                    ? client : null);
            if (wait != null) {
                return Mono.error(new TooManyFailures(wait));
            }
            return directory.lookUp(hash)
                    .switchIfEmpty(Mono.error(() -> new BadCredentialsException("unknown key")))
                    .map(SecurityConfiguration::authenticated);
        };
    }

    private static Authentication authenticated(TeamPrincipal caller) {
        return new UsernamePasswordAuthenticationToken(caller, null,
                List.of(new SimpleGrantedAuthority(caller.admin() ? "ROLE_ADMIN" : "ROLE_TEAM")));
    }

    private static Counter refusals(MeterRegistry registry, String reason) {
        return Counter.builder("imageedit.auth.refusals")
                .description("API requests refused for their key: invalid_key (401), too_many_failures (429, "
                        + "teams.failed-authentications)")
                .tag("reason", reason).register(registry);
    }

    /** A request without a bearer key passes on unauthenticated (and is refused where a key is needed). */
    private static ServerAuthenticationConverter bearerKeys() {
        return exchange -> {
            String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
            if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return Mono.empty();
            }
            String key = header.substring(7).strip();
            if (key.isEmpty() || key.length() > 512) {
                return Mono.error(new BadCredentialsException("malformed key"));
            }
            UsernamePasswordAuthenticationToken token = UsernamePasswordAuthenticationToken.unauthenticated(null, key);
            // the client's address as the forwarded headers give it (server.forward-headers-strategy: framework)
            token.setDetails(exchange.getRequest().getRemoteAddress());
            return Mono.just(token);
        };
    }

    /** The client's address is over its failed authentications: refused without looking its key up. */
    private static final class TooManyFailures extends AuthenticationException {

        private final transient Duration retryAfter;

        TooManyFailures(Duration retryAfter) {
            super("too many failed authentications from this address");
            this.retryAfter = retryAfter;
        }
    }
}
