package com.acme.imageedit.teams;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.system.ApiException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Budgets#reserve} is one statement over the day and the month rows (issue #8: fewer round trips while a team's
 * rows are locked). It must still reserve both or neither, refuse a price over either limit (also on rows that do not
 * exist yet), leave unlimited periods unlimited, and never overspend under concurrent submits. Each case runs against
 * the real PostgreSQL, each reservation in its own transaction as in {@code JobRepository.insert}, with teams of its own.
 */
class BudgetReservationTest extends IntegrationTest {

    private static final BigDecimal PRICE = new BigDecimal("0.048");

    @Autowired
    private TransactionalOperator tx;

    @Test
    void theMonthlyLimitRefusesWhenTheDayStillHasRoomAndTheDayIsNotKeptEither() {
        Budgets budgets = budgets(team("probe-month", "10", "0.10"));

        StepVerifier.create(reserve(budgets, "probe-month")).verifyComplete();
        StepVerifier.create(reserve(budgets, "probe-month")).verifyComplete();
        StepVerifier.create(reserve(budgets, "probe-month"))
                .expectErrorSatisfies(error -> assertBudgetExceeded(error))
                .verify(Duration.ofSeconds(10));

        assertThat(committed("probe-month")).containsEntry("DAY", new BigDecimal("0.096000"))
                .containsEntry("MONTH", new BigDecimal("0.096000"));
    }

    @Test
    void aPriceOverTheLimitIsRefusedOnRowsThatDoNotExistYet() {
        Budgets budgets = budgets(team("probe-fresh", "0.04", null));

        StepVerifier.create(reserve(budgets, "probe-fresh"))
                .expectErrorSatisfies(error -> assertBudgetExceeded(error))
                .verify(Duration.ofSeconds(10));

        assertThat(committed("probe-fresh")).as("neither row, not even the unlimited month's").isEmpty();
    }

    @Test
    void unlimitedPeriodsReserveEveryTime() {
        Budgets budgets = budgets(team("probe-free", null, null));

        for (int i = 0; i < 3; i++) {
            StepVerifier.create(reserve(budgets, "probe-free")).verifyComplete();
        }

        assertThat(committed("probe-free")).containsEntry("DAY", new BigDecimal("0.144000"))
                .containsEntry("MONTH", new BigDecimal("0.144000"));
    }

    @Test
    void concurrentReservationsNeverOverspendEitherPeriod() {
        Budgets budgets = budgets(team("probe-race", "0.48", "1"));

        List<Boolean> outcomes = Flux.range(0, 60)
                .flatMap(i -> reserve(budgets, "probe-race").thenReturn(true)
                        .onErrorResume(ApiException.class, refused -> Mono.just(false)), 60)
                .collectList()
                .block(Duration.ofSeconds(60));

        assertThat(outcomes).hasSize(60);
        assertThat(outcomes.stream().filter(accepted -> accepted)).hasSize(10);
        assertThat(committed("probe-race")).containsEntry("DAY", new BigDecimal("0.480000"))
                .containsEntry("MONTH", new BigDecimal("0.480000"));
    }

    private Mono<Void> reserve(Budgets budgets, String team) {
        return budgets.reserve(team, PRICE).as(tx::transactional);
    }

    private static void assertBudgetExceeded(Throwable error) {
        assertThat(error).isInstanceOf(ApiException.class);
        assertThat(((ApiException) error).status()).isEqualTo(HttpStatus.PAYMENT_REQUIRED);
        assertThat(((ApiException) error).code()).isEqualTo("budget_exceeded");
    }

    private Budgets budgets(TeamsProperties.Team team) {
        // Inactive: the row only anchors the budget rows; listings, usage and gauges of the shared context skip it.
        db.sql("insert into teams (id, name, active) values (:id, :id, false) on conflict (id) do nothing")
                .bind("id", team.id()).then().block(Duration.ofSeconds(10));
        db.sql("delete from budget_usage where team_id = :id").bind("id", team.id()).then()
                .block(Duration.ofSeconds(10));
        return new Budgets(db, new TeamsProperties(List.of(), Duration.ofSeconds(10), List.of(team)));
    }

    private static TeamsProperties.Team team(String id, String daily, String monthly) {
        return new TeamsProperties.Team(id, id, List.of(), daily == null ? null : new BigDecimal(daily),
                monthly == null ? null : new BigDecimal(monthly), null, 50);
    }

    private Map<String, BigDecimal> committed(String team) {
        return db.sql("select period, committed_usd from budget_usage where team_id = :team and committed_usd > 0")
                .bind("team", team)
                .map((row, meta) -> Map.entry(row.get("period", String.class),
                        row.get("committed_usd", BigDecimal.class)))
                .all()
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .block(Duration.ofSeconds(10));
    }
}
