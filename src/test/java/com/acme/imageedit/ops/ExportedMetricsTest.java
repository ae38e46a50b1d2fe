package com.acme.imageedit.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.acme.imageedit.IntegrationTest;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.test.web.reactive.server.WebTestClient;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Runs jobs end to end through several endings, scrapes /actuator/prometheus over HTTP, and holds the scrape against
 * what we ship: the catalogue in docs/metrics.md, and every metric the dashboards and alert rules read.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportedMetricsTest extends IntegrationTest {

    /** Our meters: each must be in the catalogue. Boot's own (jvm_, http_server_, r2dbc_…) are not ours to list. */
    private static final List<String> OUR_PREFIXES = List.of("imageedit_", "resilience4j_");
    private static final List<String> HISTOGRAM_SUFFIXES = List.of("_bucket", "_count", "_sum", "_max");
    /** Series Prometheus itself adds to every target: alert rules may read them. */
    private static final Set<String> SYNTHETIC = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped");
    private static final Set<String> FRAMEWORK_LABELS = Set.of("application", "le");

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Autowired
    private MeterRegistry registry;
    @Autowired
    private Environment environment;

    private Scrape scrape;
    private DisposableServer receiver;
    private String callbackUrl;

    @BeforeAll
    void runJobsAndScrape() throws Exception {
        // A webhook receiver, so that the delivery meters exist too (the test profile allows loopback receivers).
        DisposableServer receiver = HttpServer.create().host("127.0.0.1").port(0)
                .handle((request, response) -> request.receive().then(response.status(200).send()))
                .bindNow(Duration.ofSeconds(10));
        callbackUrl = "http://127.0.0.1:" + receiver.port() + "/hooks";
        this.receiver = receiver;
        List<String> ids = List.of("a watercolor", "[sim:fail] a watercolor", "[sim:reject] a watercolor").stream()
                .map(this::submit).toList();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (String id : ids) {
                Map<String, Object> job = http().get().uri("/v1/jobs/{id}", id).exchange().expectStatus().isOk()
                        .expectBody(JSON).returnResult().getResponseBody();
                assertThat(job.get("status")).isIn("succeeded", "failed");
            }
        });
        // Meters follow the commit that made the job visible as finished, and gauges refresh in the background.
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Scrape s = Scrape.parse(prometheus());
            assertThat(s.names()).contains("imageedit_jobs_completed_total", "imageedit_jobs_accepted_total",
                    "imageedit_upstream_calls_seconds_count", "imageedit_webhook_deliveries_total",
                    "imageedit_webhook_delivery_lag_seconds_count");
            assertThat(s.samples()).filteredOn(x -> x.name().equals("imageedit_jobs_inflight")).isNotEmpty();
            scrape = s;
        });
        Files.writeString(Path.of("target", "last-scrape.txt"), prometheus());
    }

    @Test
    void everyMeterWeExportIsCataloguedWithItsTags() {
        Map<String, List<String>> exported = OpsFiles.catalogue("Exported");
        List<String> problems = new ArrayList<>();
        for (Scrape.Sample sample : scrape.samples()) {
            if (OUR_PREFIXES.stream().noneMatch(sample.name()::startsWith)) {
                continue;
            }
            String entry = catalogueEntry(sample.name(), exported.keySet());
            if (entry == null) {
                problems.add(sample.name() + " is exported but not in docs/metrics.md's Exported table");
                continue;
            }
            for (String[] label : sample.labels()) {
                if (!FRAMEWORK_LABELS.contains(label[0]) && !exported.get(entry).contains(label[0])) {
                    problems.add(sample.name() + " has tag '" + label[0] + "' that docs/metrics.md does not list");
                }
            }
        }
        assertThat(new TreeSet<>(problems)).isEmpty();
    }

    @Test
    void everyCataloguedMeterIsExportedUnderItsMicrometerName() {
        Set<String> names = scrape.names();
        assertThat(OpsFiles.catalogue("Exported").keySet())
                .as("listed as exported in docs/metrics.md but missing from the scrape")
                .allMatch(entry -> exportedUnder(entry, names), "exported");
        List<String> wrong = new ArrayList<>();
        OpsFiles.micrometerNames("Exported").forEach((prometheusName, micrometerName) -> {
            List<Meter> meters = new ArrayList<>(registry.find(micrometerName).meters());
            if (meters.isEmpty()) {
                wrong.add(prometheusName + ": no meter named " + micrometerName + " (docs/metrics.md's Micrometer name)");
                return;
            }
            String converted = meters.get(0).getId().getConventionName(registry.config().namingConvention());
            if (!prometheusName.equals(converted) && !prometheusName.equals(converted + "_total")) {
                wrong.add(prometheusName + ": " + micrometerName + " is exported as " + converted);
            }
        });
        assertThat(wrong).isEmpty();
    }

    @Test
    void httpRequestsHaveTheAcceptBucketsOnSubmitsAndOneBucketElsewhere() {
        // One type per name: a route without buckets would be a summary beside histograms, and every scrape would fail.
        Map<String, Set<String>> bucketsByUri = new LinkedHashMap<>();
        scrape.samples().stream().filter(s -> s.name().equals("http_server_requests_seconds_bucket"))
                .forEach(s -> bucketsByUri.computeIfAbsent(s.label("uri"), u -> new TreeSet<>()).add(s.label("le")));
        assertThat(bucketsByUri.get("/v1/images/edits")).contains("0.01", "0.1", "1.0", "2.5", "10.0", "+Inf")
                .hasSize(11);
        assertThat(bucketsByUri.get("/v1/jobs/{id}")).containsExactlyInAnyOrder("1.0", "+Inf");
        assertThat(bucketsByUri.keySet()).as("routes with buckets").containsAll(scrape.samples().stream()
                .filter(s -> s.name().equals("http_server_requests_seconds_count")).map(s -> s.label("uri")).toList());
    }

    @Test
    void theOpenMetricsAnswerCarriesNoExemplars() {
        // What Prometheus asks for first. With exemplars, Prometheus 2.42 drops the whole scrape (PrometheusExemplars);
        // the jobs above made traced HTTP client calls, so there would be some.
        String openMetrics = WebTestClient.bindToServer()
                .baseUrl("http://" + RealPrometheusTest.metricsTarget(environment)).build()
                .get().uri("/actuator/prometheus")
                .header("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
                .exchange().expectStatus().isOk()
                .expectHeader().contentType("application/openmetrics-text;version=1.0.0;charset=utf-8")
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(openMetrics).contains("http_client_requests_seconds_count").contains("# EOF")
                .doesNotContainPattern("(?m)^[^#].* # \\{");
    }

    @Test
    void theQueueAgeOfAHeldTeamIsReportedApartFromTheTeamsThatCanSubmit() {
        MultipartBodyBuilder form = EditForms.edit("held " + System.nanoTime(), TestImages.png(256, 256));
        String id = (String) http("held-key").post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(form.build()))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(Scrape.parse(prometheus()).samples()).anySatisfy(s -> {
                        assertThat(s.name()).isEqualTo("imageedit_jobs_queue_oldest_age_seconds");
                        assertThat(s.label("team_state")).isEqualTo("held");
                        assertThat(s.value()).isPositive();
                    }));
            assertThat(Scrape.parse(prometheus()).samples())
                    .filteredOn(s -> s.name().equals("imageedit_jobs_queue_oldest_age_seconds"))
                    .extracting(s -> s.label("team_state")).containsExactlyInAnyOrder("open", "at_cap", "held");
        } finally {
            http("held-key").post().uri("/v1/jobs/{id}/cancel", id).exchange().expectStatus().isOk();
        }
    }

    @Test
    void dashboardsAndAlertRulesReadOnlyMetricsTheServiceExports() {
        Map<String, String> queries = new LinkedHashMap<>();
        OpsFiles.list(OpsFiles.DASHBOARDS, ".json").forEach(f -> queries.putAll(OpsFiles.dashboardQueries(f)));
        OpsFiles.list(OpsFiles.RULES, ".yml").forEach(f -> queries.putAll(OpsFiles.ruleExpressions(f)));
        assertThat(queries).hasSizeGreaterThan(20);

        Set<String> names = scrape.names();
        List<String> missing = new ArrayList<>();
        queries.forEach((where, expr) -> PromQl.metricNames(expr).stream()
                .filter(metric -> !names.contains(metric) && !SYNTHETIC.contains(metric))
                .forEach(metric -> missing.add(where + " reads " + metric)));
        assertThat(missing).as("metrics the service does not export").isEmpty();
    }

    @Test
    void ourSeriesCarryTheApplicationTagAndNoJobIds() {
        List<Scrape.Sample> ours = scrape.samples().stream()
                .filter(s -> OUR_PREFIXES.stream().anyMatch(s.name()::startsWith)).toList();
        assertThat(ours).isNotEmpty().allSatisfy(s -> assertThat(s.label("application")).isEqualTo("image-edit-proxy"));
        assertThat(scrape.samples()).allSatisfy(s -> assertThat(s.labels())
                .noneMatch(l -> l[1].matches(".*img_[a-z2-7]{10,}.*")));
        // The jobs above ended in three ways, and each way has its own bounded outcome.
        assertThat(ours).filteredOn(s -> s.name().equals("imageedit_jobs_completed_total"))
                .extracting(s -> s.label("outcome")).contains("succeeded", "upstream_failed", "upstream_rejected");
        assertThat(ours).filteredOn(s -> s.name().equals("imageedit_upstream_calls_seconds_count"))
                .extracting(s -> s.label("kind")).contains("submit_edit", "poll", "download")
                .doesNotContain("unknown");
        assertThat(ours).filteredOn(s -> s.name().equals("imageedit_upstream_calls_seconds_count"))
                .extracting(s -> s.label("origin")).isSubsetOf("therouter", "other").contains("therouter");
    }

    @Test
    void theManagementPortExposesOnlyHealthInfoAndPrometheusAndTheApiPortNoneOfThem() {
        for (String path : List.of("/actuator", "/actuator/prometheus", "/actuator/health",
                "/actuator/health/readiness", "/actuator/info")) {
            http(null).get().uri(path).exchange().expectStatus().isNotFound();
            http(ADMIN_KEY).get().uri(path).exchange().expectStatus().isNotFound();
        }
        Map<String, Object> index = management().get().uri("/actuator").exchange().expectStatus().isOk()
                .expectBody(JSON).returnResult().getResponseBody();
        @SuppressWarnings("unchecked")
        Map<String, Object> links = (Map<String, Object>) index.get("_links");
        assertThat(links.keySet()).allMatch(k -> k.equals("self") || k.startsWith("health") || k.equals("info")
                || k.equals("prometheus"), "health, info or prometheus").contains("health", "info", "prometheus");
        for (String hidden : List.of("env", "metrics", "beans", "configprops", "loggers", "heapdump", "threaddump",
                "mappings", "shutdown")) {
            management().get().uri("/actuator/" + hidden).exchange().expectStatus().isNotFound();
        }
        management().get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
        management().get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
        // the details (the breaker's state, the database) only here, for the platform's probes and monitoring
        management().get().uri("/actuator/health").exchange().expectStatus().isOk()
                .expectBody(String.class).value(health -> assertThat(health).contains("circuitBreakers", "r2dbc"));
    }

    private String prometheus() {
        return management().get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
    }

    @AfterAll
    void stopReceiver() {
        if (receiver != null) {
            receiver.disposeNow();
        }
    }

    private String submit(String prompt) {
        MultipartBodyBuilder form = EditForms.edit(prompt, TestImages.png(256, 256));
        form.part("callback_url", callbackUrl);
        return (String) http().post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(form.build()))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");
    }

    /** The catalogue row a series belongs to: its own name, or a histogram's name without the series suffix. */
    private static String catalogueEntry(String series, Set<String> entries) {
        if (entries.contains(series)) {
            return series;
        }
        for (String suffix : HISTOGRAM_SUFFIXES) {
            if (series.endsWith(suffix) && entries.contains(series.substring(0, series.length() - suffix.length()))) {
                return series.substring(0, series.length() - suffix.length());
            }
        }
        return null;
    }

    private static boolean exportedUnder(String entry, Set<String> names) {
        return names.contains(entry) || HISTOGRAM_SUFFIXES.stream().anyMatch(s -> names.contains(entry + s));
    }
}
