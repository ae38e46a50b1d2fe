package com.acme.imageedit.teams;

import java.util.List;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.system.ProblemRendering;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import reactor.core.publisher.Mono;

/**
 * Bearer team keys for every {@code /v1} endpoint; admin keys for {@code /v1/admin}. Stateless: no session, no
 * cookies, no CSRF (no browser session to ride on). Refusals are problem+json like every other error.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    @Bean
    SecurityWebFilterChain securityWebFilterChain(ServerHttpSecurity http, TeamDirectory directory,
                                                  ProblemRendering problems) {
        AuthenticationWebFilter bearer = new AuthenticationWebFilter(authenticationManager(directory));
        bearer.setServerAuthenticationConverter(bearerKeys());
        // Public endpoints (health, the signed result links) ignore a key rather than refuse a wrong one.
        bearer.setRequiresAuthenticationMatcher(ServerWebExchangeMatchers.pathMatchers("/v1/**"));
        bearer.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());
        bearer.setAuthenticationFailureHandler((filterExchange, failure) -> problems.write(
                filterExchange.getExchange(), ApiException.unauthorized("The API key is not valid")));
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

    private static ReactiveAuthenticationManager authenticationManager(TeamDirectory directory) {
        return authentication -> directory.authenticate((String) authentication.getCredentials())
                .switchIfEmpty(Mono.error(() -> new BadCredentialsException("unknown key")))
                .map(caller -> new UsernamePasswordAuthenticationToken(caller, null,
                        List.of(new SimpleGrantedAuthority(caller.admin() ? "ROLE_ADMIN" : "ROLE_TEAM"))));
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
            return Mono.just(UsernamePasswordAuthenticationToken.unauthenticated(null, key));
        };
    }
}
