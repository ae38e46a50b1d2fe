package com.acme.imageedit.spend;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.jobs.JobFinished;
import com.acme.imageedit.jobs.ModelPrices;
import com.acme.imageedit.teams.TeamsProperties;
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
 * Spend as finance reads it, two ways:
 * <ul>
 * <li>{@code imageedit.spend} (USD): a counter by team and model, counted when each job settles on this replica (so
 *     the sum over replicas equals the ledger), for rates over time. Every configured team's series with every model
 *     exists from the start at zero, so that {@code increase()} sees a team's first charge after a restart too (a
 *     series born at its first charge shows no increase for it).</li>
 * <li>{@code imageedit.spend.ledger} (USD): by team, model and {@code period} ({@code day}, {@code month}), the spend
 *     ledger's sum for jobs accepted in the current UTC day or month: exactly what {@code GET /v1/usage} reports, on
 *     every replica, and unmoved by restarts (counters start again at zero and lose what settled between the last
 *     scrape and the restart; {@code increase()} also extrapolates). The dashboards' "today" and "this month" read
 *     this.</li>
 * </ul>
 * And each team's budget standing per period ({@code imageedit.budget.remaining}, {@code imageedit.budget.used.ratio}).
 * The gauges are read from the database every {@code spend.budget-gauge-refresh}: one query over the budget rows, one
 * indexed range scan per team over the ledger rows settled this month.
 */
@Component
class SpendMeters implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(SpendMeters.class);

    private final MeterRegistry registry;
    private final DatabaseClient db;
    private final SpendProperties properties;
    private final ModelPrices prices;
    private final TeamsProperties teams;
    private final MultiGauge remaining;
    private final MultiGauge usedRatio;
    private final MultiGauge ledger;
    private volatile Disposable refresher;

    SpendMeters(MeterRegistry registry, DatabaseClient db, SpendProperties properties, ModelPrices prices,
                TeamsProperties teams) {
        this.registry = registry;
        this.db = db;
        this.properties = properties;
        this.prices = prices;
        this.teams = teams;
        this.remaining = MultiGauge.builder("imageedit.budget.remaining")
                .description("Budget left for the current UTC day or month (teams with a limit only)")
                .baseUnit("usd")
                .register(registry);
        this.usedRatio = MultiGauge.builder("imageedit.budget.used.ratio")
                .description("Committed (reserved and charged) over budget for the current UTC day or month; 1 = "
                        + "exhausted (less left than the cheapest model's price)")
                .register(registry);
        this.ledger = MultiGauge.builder("imageedit.spend.ledger")
                .description("USD charged for jobs accepted in the current UTC day or month, from the spend ledger "
                        + "(what GET /v1/usage reports); database-wide")
                .baseUnit("usd")
                .register(registry);
        for (TeamsProperties.Team team : teams.definitions()) {
            prices.byModel().keySet().forEach(model -> spendCounter(team.id(), model));
        }
    }

    @EventListener
    void onJobFinished(JobFinished job) {
        BigDecimal charged = job.chargedUsd() == null ? BigDecimal.ZERO : job.chargedUsd();
        spendCounter(job.teamId(), job.model()).increment(charged.doubleValue());
    }

    private Counter spendCounter(String team, String model) {
        return Counter.builder("imageedit.spend")
                .description("USD charged to teams for settled jobs")
                .baseUnit("usd")
                .tags("team", team, "model", model)
                .register(registry);
    }

    Mono<Void> refresh() {
        return refreshBudgets().then(refreshLedger());
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
                            usedRatio(s.limit(), s.used(), prices.cheapest()))).toList(), true);
                })
                .then();
    }

    /**
     * Committed over budget, but 1 (or more) once what is left cannot pay for the cheapest job: a daily $5 budget with
     * $0.048 jobs ends at $4.992 committed, which is exhausted although the plain ratio never reaches 1.
     */
    static double usedRatio(BigDecimal limit, BigDecimal used, BigDecimal cheapest) {
        if (limit.signum() == 0) {
            return 1.0;
        }
        double ratio = used.doubleValue() / limit.doubleValue();
        return limit.subtract(used).compareTo(cheapest) < 0 ? Math.max(1.0, ratio) : ratio;
    }

    /**
     * This UTC day's and month's ledger sums by team and model, as GET /v1/usage counts them (by the day the job was
     * accepted). A job accepted this month settled this month too, so the scan runs over each team's rows of the index
     * on (team_id, settled_at) from the start of the month. Configured teams and models show 0 until they spend.
     */
    Mono<Void> refreshLedger() {
        return db.sql("""
                        with bounds as (
                            select date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' as day_start,
                                   date_trunc('month', now() at time zone 'UTC') at time zone 'UTC' as month_start)
                        select t.id as team, l.model,
                               coalesce(sum(l.charged_usd) filter (where l.created_at >= b.day_start), 0) as day_usd,
                               coalesce(sum(l.charged_usd), 0) as month_usd
                        from bounds b cross join teams t
                        join lateral (select s.model, s.charged_usd, s.created_at from spend_ledger s
                                      where s.team_id = t.id and s.settled_at >= b.month_start
                                        and s.created_at >= b.month_start) l on true
                        group by t.id, l.model""")
                .map((row, meta) -> new Spent(row.get("team", String.class), row.get("model", String.class),
                        row.get("day_usd", BigDecimal.class), row.get("month_usd", BigDecimal.class)))
                .all()
                .collectList()
                .doOnNext(spent -> ledger.register(ledgerRows(spent), true))
                .then();
    }

    private List<MultiGauge.Row<?>> ledgerRows(List<Spent> spent) {
        Map<List<String>, Spent> byTeamAndModel = new LinkedHashMap<>();
        for (TeamsProperties.Team team : teams.definitions()) {
            prices.byModel().keySet().forEach(model -> byTeamAndModel.put(List.of(team.id(), model),
                    new Spent(team.id(), model, BigDecimal.ZERO, BigDecimal.ZERO)));
        }
        spent.forEach(s -> byTeamAndModel.put(List.of(s.team(), s.model()), s));
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Spent s : byTeamAndModel.values()) {
            rows.add(MultiGauge.Row.of(Tags.of("team", s.team(), "model", s.model(), "period", "day"),
                    s.day().doubleValue()));
            rows.add(MultiGauge.Row.of(Tags.of("team", s.team(), "model", s.model(), "period", "month"),
                    s.month().doubleValue()));
        }
        return rows;
    }

    private record Standing(Tags tags, BigDecimal limit, BigDecimal used) {
    }

    private record Spent(String team, String model, BigDecimal day, BigDecimal month) {
    }

    @Override
    public void start() {
        refresher = Flux.interval(Duration.ZERO, properties.budgetGaugeRefresh())
                .onBackpressureDrop()
                .concatMap(tick -> refresh().onErrorResume(e -> {
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
