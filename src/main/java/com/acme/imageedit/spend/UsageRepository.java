package com.acme.imageedit.spend;

import java.math.BigDecimal;
import java.time.LocalDate;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;

/** Spend from the ledger and budget standing from {@code budget_usage}, scoped by team in SQL. */
@Repository
class UsageRepository {

    private final DatabaseClient db;

    UsageRepository(DatabaseClient db) {
        this.db = db;
    }

    /** Ledger rows per team, day and model; {@code team == null} means every team. */
    Flux<UsageController.UsageView.Row> rows(String team, LocalDate from, LocalDate to) {
        return db.sql("""
                        select team_id, (created_at at time zone 'UTC')::date as day, model,
                               count(*) as jobs,
                               count(*) filter (where outcome = 'SUCCEEDED') as succeeded,
                               count(*) filter (where outcome = 'FAILED') as failed,
                               count(*) filter (where outcome = 'CANCELLED') as cancelled,
                               count(*) filter (where outcome = 'EXPIRED') as expired,
                               sum(charged_usd) as spent
                        from spend_ledger
                        where (:all or team_id = :team)
                          and created_at >= (cast(:from as date) at time zone 'UTC')
                          and created_at < ((cast(:to as date) + 1) at time zone 'UTC')
                        group by 1, 2, 3
                        order by 2, 1, 3""")
                .bind("all", team == null)
                .bind("team", team == null ? "" : team)
                .bind("from", from)
                .bind("to", to)
                .map((row, meta) -> new UsageController.UsageView.Row(
                        row.get("team_id", String.class),
                        row.get("day", LocalDate.class),
                        row.get("model", String.class),
                        row.get("jobs", Long.class),
                        row.get("succeeded", Long.class),
                        row.get("failed", Long.class),
                        row.get("cancelled", Long.class),
                        row.get("expired", Long.class),
                        row.get("spent", BigDecimal.class).stripTrailingZeros()))
                .all();
    }

    Flux<UsageController.UsageView.Budget> budgets(String team) {
        return db.sql("""
                        select t.id, t.daily_budget_usd, t.monthly_budget_usd,
                               coalesce(d.committed_usd, 0) as day, coalesce(m.committed_usd, 0) as month,
                               (select count(*) from jobs f where f.team_id = t.id
                                  and f.status in ('QUEUED', 'SUBMITTING', 'RUNNING')) as in_flight
                        from teams t
                        left join budget_usage d on d.team_id = t.id and d.period = 'DAY'
                             and d.period_start = (now() at time zone 'UTC')::date
                        left join budget_usage m on m.team_id = t.id and m.period = 'MONTH'
                             and m.period_start = date_trunc('month', now() at time zone 'UTC')::date
                        where t.active and (:all or t.id = :team)
                        order by t.id""")
                .bind("all", team == null)
                .bind("team", team == null ? "" : team)
                .map((row, meta) -> new UsageController.UsageView.Budget(
                        row.get("id", String.class),
                        row.get("daily_budget_usd", BigDecimal.class),
                        row.get("day", BigDecimal.class).stripTrailingZeros(),
                        row.get("monthly_budget_usd", BigDecimal.class),
                        row.get("month", BigDecimal.class).stripTrailingZeros(),
                        row.get("in_flight", Long.class)))
                .all();
    }
}
