package com.acme.imageedit.teams;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.system.ApiException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database's budget reservation (V7): a job inserted with its {@code budget_reservations} row reserves its price
 * against the day and the month when its transaction commits, both or neither; a price over either limit (also on rows
 * that do not exist yet) fails the commit, so that nothing of the submit stays; unlimited periods stay unlimited; and
 * concurrent submits never overspend. Each case inserts as {@code JobRepository.insert} does (the job and its
 * reservation by one statement, in a transaction of its own), against the real PostgreSQL, with teams of its own.
 */
class BudgetReservationTest extends IntegrationTest {

    private static final BigDecimal PRICE = new BigDecimal("0.048");

    @Autowired
    private TransactionalOperator tx;

    @Autowired
    private Budgets budgets;

    @Test
    void theMonthlyLimitRefusesWhenTheDayStillHasRoomAndTheDayIsNotKeptEither() {
        team("probe-month", "10", "0.10");

        StepVerifier.create(submit("probe-month")).verifyComplete();
        StepVerifier.create(submit("probe-month")).verifyComplete();
        StepVerifier.create(submit("probe-month"))
                .expectErrorSatisfies(error -> assertBudgetExceeded(error, "0.00"))
                .verify(Duration.ofSeconds(10));

        assertThat(committed("probe-month")).containsEntry("DAY", new BigDecimal("0.096000"))
                .containsEntry("MONTH", new BigDecimal("0.096000"));
        assertThat(jobs("probe-month")).as("the refused job was rolled back with its reservation").isEqualTo(2);
    }

    @Test
    void aPriceOverTheLimitIsRefusedOnRowsThatDoNotExistYet() {
        team("probe-fresh", "0.04", null);

        StepVerifier.create(submit("probe-fresh"))
                .expectErrorSatisfies(error -> assertBudgetExceeded(error, "0.04"))
                .verify(Duration.ofSeconds(10));

        assertThat(committed("probe-fresh")).as("neither row, not even the unlimited month's").isEmpty();
        assertThat(jobs("probe-fresh")).isZero();
    }

    @Test
    void unlimitedPeriodsReserveEveryTime() {
        team("probe-free", null, null);

        for (int i = 0; i < 3; i++) {
            StepVerifier.create(submit("probe-free")).verifyComplete();
        }

        assertThat(committed("probe-free")).containsEntry("DAY", new BigDecimal("0.144000"))
                .containsEntry("MONTH", new BigDecimal("0.144000"));
    }

    @Test
    void concurrentReservationsNeverOverspendEitherPeriod() {
        team("probe-race", "0.48", "1");

        List<Boolean> outcomes = Flux.range(0, 60)
                .flatMap(i -> submit("probe-race").thenReturn(true)
                        .onErrorResume(ApiException.class, refused -> Mono.just(false)), 60)
                .collectList()
                .block(Duration.ofSeconds(60));

        assertThat(outcomes).hasSize(60);
        assertThat(outcomes.stream().filter(accepted -> accepted)).hasSize(10);
        assertThat(committed("probe-race")).containsEntry("DAY", new BigDecimal("0.480000"))
                .containsEntry("MONTH", new BigDecimal("0.480000"));
        assertThat(jobs("probe-race")).isEqualTo(10);
    }

    /** A job and its reservation, as the service inserts them; a refused reservation becomes the service's 402. */
    private Mono<Void> submit(String team) {
        String id = "img_" + ThreadLocalRandom.current().ints(26, 'a', 'z' + 1)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append);
        // FAILED with a deadline passed: no worker of the shared context picks it up; the reservation does not care.
        return db.sql("""
                        with job as (
                            insert into jobs (id, team_id, model, prompt, price_usd, status, deadline_at, finished_at)
                            values (:id, :team, 'qwen/qwen-image-edit', 'budget probe', :price, 'FAILED',
                                    now() - interval '1 second', now())
                            returning id, team_id, price_usd, created_at
                        )
                        insert into budget_reservations (job_id, team_id, price_usd, reserved_at)
                        select id, team_id, price_usd, created_at from job""")
                .bind("id", id)
                .bind("team", team)
                .bind("price", PRICE)
                .then()
                .as(tx::transactional)
                .onErrorResume(Budgets::refusedReservation, refused -> budgets.refusal(team, PRICE));
    }

    private static void assertBudgetExceeded(Throwable error, String remaining) {
        assertThat(error).isInstanceOf(ApiException.class);
        ApiException refusal = (ApiException) error;
        assertThat(refusal.status()).isEqualTo(HttpStatus.PAYMENT_REQUIRED);
        assertThat(refusal.code()).isEqualTo("budget_exceeded");
        assertThat(refusal.extensions()).containsEntry("remaining_usd", new BigDecimal(remaining));
    }

    /** Inactive: the row carries the limits; listings, usage and gauges of the shared context skip it. */
    private void team(String id, String daily, String monthly) {
        db.sql("""
                        insert into teams (id, name, daily_budget_usd, monthly_budget_usd, active)
                        values (:id, :id, :daily, :monthly, false)
                        on conflict (id) do update set daily_budget_usd = excluded.daily_budget_usd,
                            monthly_budget_usd = excluded.monthly_budget_usd""")
                .bind("id", id)
                .bind("daily", Parameter.fromOrEmpty(daily == null ? null : new BigDecimal(daily), BigDecimal.class))
                .bind("monthly", Parameter.fromOrEmpty(monthly == null ? null : new BigDecimal(monthly),
                        BigDecimal.class))
                .then().block(Duration.ofSeconds(10));
        db.sql("delete from budget_usage where team_id = :id").bind("id", id).then().block(Duration.ofSeconds(10));
        db.sql("delete from jobs where team_id = :id").bind("id", id).then().block(Duration.ofSeconds(10));
    }

    private long jobs(String team) {
        return db.sql("select count(*) from jobs where team_id = :team").bind("team", team)
                .map((row, meta) -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10));
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
