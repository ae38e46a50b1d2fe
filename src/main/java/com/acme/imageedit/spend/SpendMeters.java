package com.acme.imageedit.spend;

import java.math.BigDecimal;
import java.time.Duration;

import com.acme.imageedit.jobs.JobFinished;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Spend as finance reads it: a counter of USD charged, by team and model, counted when each job settles on this
 * replica (so the sum over replicas equals the ledger), and each team's remaining budget per period, read from the
 * database every {@code spend.budget-gauge-refresh}.
 */
@Component
class SpendMeters implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(SpendMeters.class);

    private final MeterRegistry registry;
    private final DatabaseClient db;
    private final SpendProperties properties;
    private final MultiGauge remaining;
    private final MultiGauge usedRatio;
    private volatile Disposable refresher;

    SpendMeters(MeterRegistry registry, DatabaseClient db, SpendProperties properties) {
        this.registry = registry;
        this.db = db;
        this.properties = properties;
        this.remaining = MultiGauge.builder("imageedit.budget.remaining")
                .description("Budget left for the current UTC day or month (teams with a limit only)")
                .baseUnit("usd")
                .register(registry);
        this.usedRatio = MultiGauge.builder("imageedit.budget.used.ratio")
                .description("Committed (reserved and charged) over budget for the current UTC day or month; 1 = exhausted")
                .register(registry);
    }

    @EventListener
    void onJobFinished(JobFinished job) {
        BigDecimal charged = job.chargedUsd() == null ? BigDecimal.ZERO : job.chargedUsd();
        Counter.builder("imageedit.spend")
                .description("USD charged to teams for settled jobs")
                .baseUnit("usd")
                .tags("team", job.teamId(), "model", job.model())
                .register(registry)
                .increment(charged.doubleValue());
    }

    Mono<Void> refreshBudgets() {
        return db.sql("""
                        select t.id, 'day' as period, t.daily_budget_usd as limit_usd,
                               coalesce(u.committed_usd, 0) as used_usd
                        from teams t left join budget_usage u on u.team_id = t.id and u.period = 'DAY'
                             and u.period_start = (now() at time zone 'UTC')::date
                        where t.active and t.daily_budget_usd is not null
                        union all
                        select t.id, 'month', t.monthly_budget_usd, coalesce(u.committed_usd, 0)
                        from teams t left join budget_usage u on u.team_id = t.id and u.period = 'MONTH'
                             and u.period_start = date_trunc('month', now() at time zone 'UTC')::date
                        where t.active and t.monthly_budget_usd is not null""")
                .map((row, meta) -> new Standing(
                        Tags.of("team", row.get("id", String.class), "period", row.get("period", String.class)),
                        row.get("limit_usd", BigDecimal.class), row.get("used_usd", BigDecimal.class)))
                .all()
                .collectList()
                .doOnNext(standings -> {
                    remaining.register(standings.stream().map(s -> MultiGauge.Row.of(s.tags(),
                            s.limit().subtract(s.used()).doubleValue())).toList(), true);
                    usedRatio.register(standings.stream().map(s -> MultiGauge.Row.of(s.tags(),
                            s.limit().signum() == 0 ? 1.0 : s.used().doubleValue() / s.limit().doubleValue()))
                            .toList(), true);
                })
                .then();
    }

    private record Standing(Tags tags, BigDecimal limit, BigDecimal used) {
    }

    @Override
    public void start() {
        refresher = Flux.interval(Duration.ZERO, properties.budgetGaugeRefresh())
                .onBackpressureDrop()
                .concatMap(tick -> refreshBudgets().onErrorResume(e -> {
                    log.debug("Could not refresh budget gauges: {}", e.toString());
                    return Mono.empty();
                }))
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable current = refresher;
        if (current != null) {
            current.dispose();
        }
        refresher = null;
    }

    @Override
    public boolean isRunning() {
        return refresher != null;
    }
}
