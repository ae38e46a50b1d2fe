package com.acme.imageedit.spend;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/usage}: what a team spent, per day (UTC, the day the job was accepted, as budgets count it) and
 * model, from the spend ledger, with its budget standing. Admins may ask for any team or all of them.
 */
@RestController
class UsageController {

    private static final int MAX_DAYS = 366;

    private final UsageRepository usage;

    UsageController(UsageRepository usage) {
        this.usage = usage;
    }

    @GetMapping("/v1/usage")
    Mono<UsageView> usage(@AuthenticationPrincipal TeamPrincipal caller,
                          @RequestParam(required = false) String from,
                          @RequestParam(required = false) String to,
                          @RequestParam(required = false) String team) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate start = date("from", from, today.withDayOfMonth(1));
        LocalDate end = date("to", to, today);
        if (end.isBefore(start)) {
            throw ApiException.badRequest("to", "to must not be before from");
        }
        if (ChronoUnit.DAYS.between(start, end) >= MAX_DAYS) {
            throw ApiException.badRequest("from", "at most " + MAX_DAYS + " days at once");
        }
        String scope = scope(caller, team);
        return usage.rows(scope, start, end).collectList()
                .zipWith(usage.budgets(scope).collectList())
                .map(result -> new UsageView("usage", start, end, result.getT2(), result.getT1(),
                        result.getT1().stream().map(UsageView.Row::spentUsd).reduce(BigDecimal.ZERO,
                                BigDecimal::add)));
    }

    /** The team to report on, or {@code null} for all teams (admins only). */
    private static String scope(TeamPrincipal caller, String team) {
        if (caller.admin()) {
            return team == null || team.isBlank() ? null : team;
        }
        if (team != null && !team.isBlank() && !team.equals(caller.teamId())) {
            throw ApiException.forbidden("Only admin keys may read another team's usage");
        }
        return caller.teamId();
    }

    private static LocalDate date(String field, String value, LocalDate fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return LocalDate.parse(value.strip());
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(field, field + " must be a date like 2026-11-25");
        }
    }

    record UsageView(String object, LocalDate from, LocalDate to, List<UsageView.Budget> budgets,
                     List<UsageView.Row> data, BigDecimal totalUsd) {

        /** One team's spend on one day with one model. */
        record Row(String team, LocalDate date, String model, long jobs, long succeeded, long failed, long cancelled,
                   long expired, BigDecimal spentUsd) {
        }

        /** Where a team stands against its budgets now; {@code null} limits mean unlimited. */
        record Budget(String team, BigDecimal dailyLimitUsd, BigDecimal dailyCommittedUsd,
                      BigDecimal monthlyLimitUsd, BigDecimal monthlyCommittedUsd, Long jobsInFlight) {
        }
    }
}
