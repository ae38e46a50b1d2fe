package com.acme.imageedit.spend;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The spend counter Grafana shows is the ledger finance reads: after a run, the two agree to the cent. */
class SpendMetersTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final Pattern SPEND = Pattern.compile(
            // The edit model's series: team demo-b also spends on other models in other tests (generations).
            "^imageedit_spend_usd_total\\{[^}]*model=\"qwen/qwen-image-edit\"[^}]*team=\"demo-b\"[^}]*} (\\S+)$",
            Pattern.MULTILINE);
    private static final Pattern BUDGET = Pattern.compile(
            "^imageedit_budget_remaining_usd\\{[^}]*period=\"day\"[^}]*team=\"demo-b\"[^}]*} (\\S+)$",
            Pattern.MULTILINE);

    @Test
    void theSpendCounterEqualsTheLedger() {
        double before = scrapeSpend();
        byte[] image = TestImages.png(256, 256);
        List<String> ids = Flux.range(0, 30)
                .flatMap(i -> webClient(TEAM_B_KEY).post().uri("/v1/images/edits?async=true")
                        .body(BodyInserters.fromMultipartData(EditForms.simple(
                                (i % 3 == 0 ? "[sim:fail] " : "") + "spend " + System.nanoTime() + " " + i, image)))
                        .retrieve().bodyToMono(JSON).map(job -> (String) job.get("id")), 30)
                .collectList().block(Duration.ofSeconds(30));
        String idList = "'" + String.join("','", ids) + "'";
        await().atMost(Duration.ofSeconds(30)).until(() -> count(
                "select count(*) from spend_ledger where job_id in (" + idList + ")") == 30);

        BigDecimal ledger = db.sql("select sum(charged_usd) from spend_ledger where job_id in (" + idList + ")")
                .map((row, meta) -> row.get(0, BigDecimal.class)).one().block();
        assertThat(ledger).isEqualByComparingTo("0.96"); // 20 succeeded × $0.048; the 10 failures are refunded
        assertThat(scrapeSpend() - before).isCloseTo(ledger.doubleValue(), org.assertj.core.data.Offset.offset(1e-9));

        await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
            Matcher budget = BUDGET.matcher(scrape());
            assertThat(budget.find()).as("budget gauge for demo-b").isTrue();
            assertThat(Double.parseDouble(budget.group(1))).isLessThanOrEqualTo(1000 - 0.96);
        });
    }

    @Test
    void theLedgerGaugesShowWhatUsageReportsForTheUtcDayAndMonth() {
        byte[] image = TestImages.png(256, 256);
        Flux.range(0, 4)
                .flatMap(i -> webClient(TEAM_B_KEY).post().uri("/v1/images/edits?async=true")
                        .body(BodyInserters.fromMultipartData(EditForms.simple("ledger " + System.nanoTime() + " " + i,
                                image)))
                        .retrieve().bodyToMono(JSON))
                .blockLast(Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(30)).until(() -> count(
                "select count(*) from jobs where team_id = 'demo-b' and status in ('QUEUED', 'SUBMITTING', 'RUNNING')")
                == 0);
        for (String period : List.of("day", "month")) {
            java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
            java.time.LocalDate from = period.equals("day") ? today : today.withDayOfMonth(1);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Map<String, Object> usage = http(ADMIN_KEY).get()
                        .uri("/v1/usage?team=demo-b&from={f}&to={t}", from, today).exchange()
                        .expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody();
                BigDecimal reported = new BigDecimal(String.valueOf(usage.get("total_usd")));
                Matcher ledger = Pattern.compile("^imageedit_spend_ledger_usd\\{[^}]*period=\"" + period
                        + "\"[^}]*team=\"demo-b\"[^}]*} (\\S+)$", Pattern.MULTILINE).matcher(scrape());
                BigDecimal gauges = BigDecimal.ZERO;
                while (ledger.find()) {
                    gauges = gauges.add(new BigDecimal(ledger.group(1)));
                }
                assertThat(reported).as("GET /v1/usage total for demo-b, %s", period).isPositive();
                assertThat(gauges).as("imageedit_spend_ledger_usd for demo-b, %s", period)
                        .isEqualByComparingTo(reported);
            });
        }
    }

    @Test
    void everyConfiguredTeamHasASpendSeriesForEveryModelFromTheStart() {
        String scrape = scrape();
        // Team "limited" never runs a job in any test: its series are there only because they are registered at 0.
        for (String model : List.of("qwen/qwen-image-edit", "qwen/qwen-image")) {
            assertThat(scrape).containsPattern("(?m)^imageedit_spend_usd_total\\{[^}]*model=\"" + model
                    + "\"[^}]*team=\"limited\"[^}]*} 0\\.0$");
            assertThat(scrape).containsPattern("(?m)^imageedit_spend_ledger_usd\\{[^}]*model=\"" + model
                    + "\"[^}]*period=\"day\"[^}]*team=\"limited\"[^}]*} 0\\.0$");
        }
    }

    @Test
    void aBudgetThatCannotPayForTheCheapestJobIsExhausted() {
        BigDecimal cheapest = new BigDecimal("0.048");
        // $5 of $0.048 jobs ends at $4.992: the plain ratio (0.9984) never reaches 1, yet no job fits.
        assertThat(SpendMeters.usedRatio(new BigDecimal("5"), new BigDecimal("4.992"), cheapest)).isEqualTo(1.0);
        assertThat(SpendMeters.usedRatio(new BigDecimal("5"), new BigDecimal("4.944"), cheapest))
                .isCloseTo(0.9888, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(SpendMeters.usedRatio(new BigDecimal("5"), new BigDecimal("5.5"), cheapest)).isEqualTo(1.1);
        assertThat(SpendMeters.usedRatio(BigDecimal.ZERO, BigDecimal.ZERO, cheapest)).isEqualTo(1.0);
        assertThat(SpendMeters.usedRatio(new BigDecimal("10"), new BigDecimal("8"), cheapest)).isEqualTo(0.8);
    }

    private double scrapeSpend() {
        Matcher spend = SPEND.matcher(scrape());
        return spend.find() ? Double.parseDouble(spend.group(1)) : 0;
    }

    private String scrape() {
        return management().get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
    }
}
