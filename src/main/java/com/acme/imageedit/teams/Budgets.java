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
        Mono<Void> rows = db.sql("""
                        insert into budget_usage (team_id, period, period_start)
                        values (:team, 'DAY', (now() at time zone 'UTC')::date),
                               (:team, 'MONTH', date_trunc('month', now() at time zone 'UTC')::date)
                        on conflict do nothing""")
                .bind("team", team).then();
        // Day first, then month, in every transaction: concurrent submits lock the rows in one order, so no deadlock.
        return rows.then(add(team, "DAY", "(now() at time zone 'UTC')::date", price, daily))
                .flatMap(dayOk -> dayOk
                        ? add(team, "MONTH", "date_trunc('month', now() at time zone 'UTC')::date", price, monthly)
                        : Mono.just(false))
                .flatMap(ok -> ok ? Mono.<Void>empty() : refusal(team, price, daily, monthly));
    }

    private Mono<Boolean> add(String team, String period, String start, BigDecimal price, BigDecimal limit) {
        return db.sql("update budget_usage set committed_usd = committed_usd + :price "
                        + "where team_id = :team and period = :period and period_start = " + start
                        + " and (cast(:limit as numeric) is null or committed_usd + :price <= cast(:limit as numeric))")
                .bind("price", price)
                .bind("team", team)
                .bind("period", period)
                .bind("limit", Parameter.fromOrEmpty(limit, BigDecimal.class))
                .fetch().rowsUpdated()
                .map(updated -> updated == 1);
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
