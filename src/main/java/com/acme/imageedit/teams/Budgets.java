package com.acme.imageedit.teams;

import java.math.BigDecimal;
import java.math.RoundingMode;

import com.acme.imageedit.system.ApiException;
import org.springframework.http.HttpStatus;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Reserves a job's price against its team's daily and monthly budgets (UTC). Must run inside the transaction that
 * stores the job: the reservation is a conditional UPDATE, so 100 concurrent submits against a budget for 10 accept
 * exactly 10, and a refused reservation rolls the whole submit back. Settlement (keeping or refunding the reservation)
 * happens in the database when the job ends; see {@code settle_job()} in the V2 migration.
 */
@Component
public class Budgets {

    private final DatabaseClient db;
    private final TeamsProperties properties;

    Budgets(DatabaseClient db, TeamsProperties properties) {
        this.db = db;
        this.properties = properties;
    }

    /** Reserves {@code price} for {@code team}, or fails with a 402 problem {@code budget_exceeded}. */
    public Mono<Void> reserve(String team, BigDecimal price) {
        TeamsProperties.Team settings = properties.team(team).orElse(null);
        BigDecimal daily = settings == null ? null : settings.dailyBudgetUsd();
        BigDecimal monthly = settings == null ? null : settings.monthlyBudgetUsd();
        /*
         * One statement for both periods: each row is created with the price or raised by it, only where the result
         * stays within its limit, and both must come back, else the caller's transaction rolls the other one back.
         * The rows are taken day first, then month, in every transaction (no deadlock), and they stay locked until
         * the commit: every submit of the team waits for them, so this is the only round trip made while holding
         * them before the commit (three statements did it before, and the first waited on the lock for nothing).
         */
        return db.sql("""
                        insert into budget_usage as b (team_id, period, period_start, committed_usd)
                        select :team, p.period, p.period_start, :price
                        from (values (1, 'DAY', (now() at time zone 'UTC')::date, cast(:daily as numeric)),
                                     (2, 'MONTH', date_trunc('month', now() at time zone 'UTC')::date,
                                      cast(:monthly as numeric))) as p (ord, period, period_start, lim)
                        where p.lim is null or :price <= p.lim
                        order by p.ord
                        on conflict (team_id, period, period_start) do update
                            set committed_usd = b.committed_usd + excluded.committed_usd
                            where (case b.period when 'DAY' then cast(:daily as numeric)
                                                 else cast(:monthly as numeric) end) is null
                               or b.committed_usd + excluded.committed_usd
                                  <= (case b.period when 'DAY' then cast(:daily as numeric)
                                                    else cast(:monthly as numeric) end)
                        returning b.period""")
                .bind("team", team)
                .bind("price", price)
                .bind("daily", Parameter.fromOrEmpty(daily, BigDecimal.class))
                .bind("monthly", Parameter.fromOrEmpty(monthly, BigDecimal.class))
                .map((row, meta) -> row.get("period", String.class))
                .all()
                .count()
                .flatMap(reserved -> reserved == 2 ? Mono.<Void>empty() : refusal(team, price, daily, monthly));
    }

    private Mono<Void> refusal(String team, BigDecimal price, BigDecimal daily, BigDecimal monthly) {
        return remaining(team, daily, monthly).flatMap(remaining -> Mono.error(new ApiException(
                HttpStatus.PAYMENT_REQUIRED, "budget_exceeded", null,
                "Team " + team + " has $" + remaining.toPlainString() + " of budget left; this job costs $"
                        + price.stripTrailingZeros().toPlainString())
                .with("remaining_usd", remaining)
                .with("price_usd", price.stripTrailingZeros())));
    }

    /** What is left of the tighter of the two budgets now; {@code null} limits do not count. */
    Mono<BigDecimal> remaining(String team, BigDecimal daily, BigDecimal monthly) {
        return db.sql("""
                        select
                          coalesce((select committed_usd from budget_usage where team_id = :team and period = 'DAY'
                                      and period_start = (now() at time zone 'UTC')::date), 0) as day,
                          coalesce((select committed_usd from budget_usage where team_id = :team and period = 'MONTH'
                                      and period_start = date_trunc('month', now() at time zone 'UTC')::date), 0)
                            as month""")
                .bind("team", team)
                .map((row, meta) -> {
                    BigDecimal left = null;
                    if (daily != null) {
                        left = daily.subtract(row.get("day", BigDecimal.class));
                    }
                    if (monthly != null) {
                        BigDecimal monthLeft = monthly.subtract(row.get("month", BigDecimal.class));
                        left = left == null ? monthLeft : left.min(monthLeft);
                    }
                    return (left == null ? BigDecimal.ZERO : left.max(BigDecimal.ZERO))
                            .setScale(2, RoundingMode.DOWN);
                })
                .one();
    }
}
