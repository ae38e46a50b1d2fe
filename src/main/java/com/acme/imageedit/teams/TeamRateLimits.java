package com.acme.imageedit.teams;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.system.ProblemRendering;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Each team's API request rate, one Resilience4j RateLimiter per team and replica (so the team's limit is per replica,
 * which the README states). Runs after authentication; admins are not limited. A request over the limit is answered
 * 429 with {@code Retry-After} at once, never queued.
 */
@Component
class TeamRateLimits implements WebFilter, Ordered {

    private final TeamsProperties properties;
    private final ProblemRendering problems;
    private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();

    TeamRateLimits(TeamsProperties properties, ProblemRendering problems) {
        this.properties = properties;
        this.problems = problems;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        return ReactiveSecurityContextHolder.getContext()
                .mapNotNull(context -> context.getAuthentication() == null ? null
                        : context.getAuthentication().getPrincipal())
                .filter(TeamPrincipal.class::isInstance)
                .map(TeamPrincipal.class::cast)
                .filter(caller -> !caller.admin())
                .flatMap(caller -> limiter(caller.teamId()).acquirePermission()
                        ? chain.filter(exchange).thenReturn(Boolean.TRUE)
                        : problems.write(exchange, tooMany(caller.teamId())).thenReturn(Boolean.TRUE))
                .switchIfEmpty(Mono.defer(() -> chain.filter(exchange).thenReturn(Boolean.TRUE)))
                .then();
    }

    /** After Spring Security's filter chain, which sets the caller. */
    @Override
    public int getOrder() {
        return 0;
    }

    private RateLimiter limiter(String team) {
        return limiters.computeIfAbsent(team, id -> {
            double perSecond = properties.team(id).map(TeamsProperties.Team::requestsPerSecond).orElse(50.0);
            // Rates under one a second become one request per (1 / rate) seconds.
            int perPeriod = (int) Math.max(1, Math.round(perSecond));
            Duration period = perSecond >= 1 ? Duration.ofSeconds(1) : Duration.ofMillis(Math.round(1000 / perSecond));
            return RateLimiter.of("api-" + id, RateLimiterConfig.custom()
                    .limitForPeriod(perPeriod)
                    .limitRefreshPeriod(period)
                    .timeoutDuration(Duration.ZERO)
                    .build());
        });
    }

    private static ApiException tooMany(String team) {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, "rate_limit_exceeded", null,
                "Team " + team + " is sending requests faster than its configured rate; retry after a second")
                .withHeader("Retry-After", "1");
    }
}
