package com.acme.imageedit.teams;

import java.math.BigDecimal;
import java.math.RoundingMode;

import com.acme.imageedit.system.ApiException;
import io.r2dbc.spi.R2dbcException;
import org.springframework.http.HttpStatus;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * A team's daily and monthly budgets (UTC). The reservation itself is the database's: a job is inserted with a row of
 * {@code budget_reservations}, which a deferred trigger applies to the team's {@code budget_usage} rows when the job's
 * transaction commits, only where both periods stay within their limits (the {@code teams} row's, written from the
 * configuration); otherwise the commit fails with SQLSTATE {@value #REFUSED} and nothing of the submit is stored. So
 * 100 concurrent submits against a budget for 10 accept exactly 10. Settlement (keeping or refunding the reservation)
 * happens in the database when the job ends; see {@code settle_job()} in the V2 migration and the V7 migration.
 */
@Component
public class Budgets {

    /** The SQLSTATE of a refused reservation (V7's {@code apply_budget_reservation()}). */
    static final String REFUSED = "P0402";

    private final DatabaseClient db;

    Budgets(DatabaseClient db) {
        this.db = db;
    }

    /** Whether a submit failed because its reservation was refused at commit. */
    public static boolean refusedReservation(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof R2dbcException r2dbc && REFUSED.equals(r2dbc.getSqlState())) {
                return true;
            }
        }
        return false;
    }

    /** The 402 problem {@code budget_exceeded} for a refused reservation of {@code price}, with what is left. */
    public <T> Mono<T> refusal(String team, BigDecimal price) {
        return remaining(team).flatMap(remaining -> Mono.error(new ApiException(
                HttpStatus.PAYMENT_REQUIRED, "budget_exceeded", null,
                "Team " + team + " has $" + remaining.toPlainString() + " of budget left; this job costs $"
                        + price.stripTrailingZeros().toPlainString())
                .with("remaining_usd", remaining)
                .with("price_usd", price.stripTrailingZeros())));
    }

    /** What is left of the tighter of the two budgets now, by the limits the reservation applies; no limit counts 0. */
    Mono<BigDecimal> remaining(String team) {
        return db.sql("""
                        select t.daily_budget_usd as daily, t.monthly_budget_usd as monthly,
                          coalesce((select committed_usd from budget_usage where team_id = :team and period = 'DAY'
                                      and period_start = (now() at time zone 'UTC')::date), 0) as day,
                          coalesce((select committed_usd from budget_usage where team_id = :team and period = 'MONTH'
                                      and period_start = date_trunc('month', now() at time zone 'UTC')::date), 0)
                            as month
                        from teams t where t.id = :team""")
                .bind("team", team)
                .map((row, meta) -> {
                    BigDecimal daily = row.get("daily", BigDecimal.class);
                    BigDecimal monthly = row.get("monthly", BigDecimal.class);
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
                .one()
                .defaultIfEmpty(BigDecimal.ZERO.setScale(2));
    }
}
