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

    private double scrapeSpend() {
        Matcher spend = SPEND.matcher(scrape());
        return spend.find() ? Double.parseDouble(spend.group(1)) : 0;
    }

    private String scrape() {
        return management().get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
    }
}
