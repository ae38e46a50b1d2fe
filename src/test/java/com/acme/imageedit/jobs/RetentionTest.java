package com.acme.imageedit.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.MutableClock;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Retention with a controllable clock: the janitor's round is run at chosen instants and the service's clock is
 * moved by hand. Inputs and results disappear at their times (global and per team), the job then answers 410
 * {@code result_expired} for its content, its signed link and an OpenAI-style replay; the row goes after the records
 * retention while the ledger stays; two replicas purging at once delete everything exactly once; an idle round is one
 * query on the partial indexes.
 */
@SuppressWarnings("unchecked")
class RetentionTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    private static final String SHORT_LIVED_KEY = "short-lived-key";

    private final Replicas replicas = new Replicas();

    @AfterEach
    void stop() {
        replicas.close();
    }

    @Test
    void inputsAndResultsGoAtTheirTimesThenTheJobAnswers410AndTheRowGoesButNotItsSpend() {
        MutableClock clock = new MutableClock();
        TestDatabase database = Replicas.freshDatabase();
        // inputs an hour after the end; team short-lived (application-demo.yml) keeps results one day instead of seven
        ConfigurableApplicationContext service = replicas.start(database, database, simulator.baseUrl(), "retention",
                Map.of("clock", clock), "--retention.inputs=1h");
        RetentionJanitor janitor = service.getBean(RetentionJanitor.class);
        DatabaseClient db = service.getBean(DatabaseClient.class);
        WebTestClient a = client(service, TEAM_A_KEY);

        String id = succeeded(a, "keep me", "retention-key-1");
        Map<String, Object> job = job(a, id);
        Instant created = Instant.ofEpochSecond(((Number) job.get("created_at")).longValue());
        assertThat(((Number) job.get("expires_at")).longValue()).isEqualTo(created.plus(Duration.ofDays(7))
                .getEpochSecond());
        String link = ((List<String>) job.get("unsigned_urls")).get(0);
        String linkPath = link.substring(link.indexOf("/files/results/"));
        String teamB = succeeded(client(service, SHORT_LIVED_KEY), "team b", null);
        assertThat(((Number) job(client(service, SHORT_LIVED_KEY), teamB).get("expires_at")).longValue()
                - ((Number) job(client(service, SHORT_LIVED_KEY), teamB).get("created_at")).longValue())
                .as("team short-lived's own result retention").isEqualTo(Duration.ofDays(1).toSeconds());

        Instant now = Instant.now();
        assertThat(janitor.purge(now.plus(Duration.ofMinutes(30))).block()).isEqualTo(RetentionJanitor.Purged.NONE);
        assertThat(images(db, id)).containsExactlyInAnyOrder("INPUT", "RESULT");

        // an hour after the end: the inputs (both jobs'), nothing else
        RetentionJanitor.Purged afterAnHour = janitor.purge(now.plus(Duration.ofMinutes(61))).block();
        assertThat(afterAnHour.inputs()).isEqualTo(2);
        assertThat(afterAnHour.results()).isZero();
        assertThat(images(db, id)).containsExactly("RESULT");
        a.get().uri("/v1/jobs/" + id + "/content").exchange().expectStatus().isOk();

        // after team short-lived's day: its result; demo-a's is still there
        assertThat(janitor.purge(now.plus(Duration.ofHours(25))).block().results()).isEqualTo(1);
        client(service, SHORT_LIVED_KEY).get().uri("/v1/jobs/" + teamB + "/content").exchange()
                .expectStatus().isEqualTo(410);
        a.get().uri("/v1/jobs/" + id + "/content").exchange().expectStatus().isOk();

        // past expires_at by the service's clock, before the janitor ran: already 410, and the job object stops
        // offering links
        clock.advance(Duration.ofDays(7).plusMinutes(1));
        expectGone(a.get().uri("/v1/jobs/" + id + "/content"));
        assertThat(job(a, id)).doesNotContainKey("unsigned_urls");
        assertThat(images(db, id)).containsExactly("RESULT");

        // the janitor's round at that time deletes it; every way to the result answers 410
        assertThat(janitor.purge(clock.instant()).block().results()).isEqualTo(1);
        assertThat(images(db, id)).isEmpty();
        expectGone(a.get().uri("/v1/jobs/" + id + "/content"));
        expectGone(client(service, null).get().uri(linkPath));
        expectGone(a.post().uri("/v1/images/edits").header("Idempotency-Key", "retention-key-1")
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(EditForms.simple("keep me", TestImages.png(256, 256)))));
        assertThat(janitor.purge(clock.instant()).block()).as("a second round finds nothing")
                .isEqualTo(RetentionJanitor.Purged.NONE);

        // 90 days after the end: the row (with its deliveries and keys); the ledger keeps the spend
        assertThat(janitor.purge(Instant.now().plus(Duration.ofDays(91))).block().jobs()).isEqualTo(2);
        a.get().uri("/v1/jobs/" + id).exchange().expectStatus().isNotFound();
        assertThat(count(db, "select count(*) from spend_ledger where job_id = '" + id + "'")).isEqualTo(1);
        assertThat(count(db, "select count(*) from jobs")).isZero();
        a.get().uri("/v1/usage").exchange().expectStatus().isOk().expectBody(String.class)
                .value(usage -> assertThat(usage).contains("\"spent_usd\":0.048"));
    }

    @Test
    void twoReplicasPurgingAtOnceDeleteEverythingExactlyOnce() {
        TestDatabase database = Replicas.freshDatabase();
        ConfigurableApplicationContext one = replicas.start(database, database, simulator.baseUrl(), "purge-1",
                "--retention.batch-size=7");
        ConfigurableApplicationContext two = replicas.start(database, database, simulator.baseUrl(), "purge-2",
                "--retention.batch-size=7");
        WebTestClient a = client(one, TEAM_A_KEY);
        List<String> ids = Flux.range(0, 40).flatMap(i -> Mono.fromCallable(() -> accepted(a, "purge " + i, null)), 8)
                .collectList().block();
        DatabaseClient db = one.getBean(DatabaseClient.class);
        await().atMost(Duration.ofSeconds(60)).until(() -> count(db,
                "select count(*) from jobs where status = 'SUCCEEDED'") == ids.size());

        Instant later = Instant.now().plus(Duration.ofDays(8));
        List<RetentionJanitor.Purged> rounds = Flux.just(one, two)
                .flatMap(replica -> replica.getBean(RetentionJanitor.class).purge(later)).collectList().block();
        assertThat(rounds.stream().mapToLong(RetentionJanitor.Purged::inputs).sum()).isEqualTo(ids.size());
        assertThat(rounds.stream().mapToLong(RetentionJanitor.Purged::results).sum()).isEqualTo(ids.size());
        assertThat(count(db, "select count(*) from job_images")).isZero();
        assertThat(Flux.just(one, two).flatMap(replica -> replica.getBean(RetentionJanitor.class).purge(later))
                .collectList().block()).as("again: nothing left, no error").containsOnly(RetentionJanitor.Purged.NONE);

        Instant muchLater = Instant.now().plus(Duration.ofDays(91));
        assertThat(Flux.just(one, two).flatMap(replica -> replica.getBean(RetentionJanitor.class).purge(muchLater))
                .map(RetentionJanitor.Purged::jobs).reduce(0L, Long::sum).block()).isEqualTo(ids.size());
    }

    @Test
    void anIdleRoundIsOneQueryOnThePartialIndexes() {
        TestDatabase database = Replicas.freshDatabase();
        ConfigurableApplicationContext service = replicas.start(database, database, simulator.baseUrl(), "idle",
                "--dispatch.enabled=false");
        DatabaseClient db = service.getBean(DatabaseClient.class);
        // 20,000 kept jobs with their images (tiny bytes): nothing due, as on a busy but tidy database
        db.sql("""
                insert into jobs (id, team_id, model, prompt, price_usd, status, deadline_at, expires_at, purge_at,
                                  finished_at)
                select 'img_idle' || g, 'demo-a', 'qwen/qwen-image-edit', 'p', 0.048, 'SUCCEEDED', now(),
                       now() + interval '7 days', now() + interval '90 days', now()
                from generate_series(1, 20000) g""").then().block();
        db.sql("""
                insert into job_images (job_id, role, content_type, bytes, purge_at)
                select id, 'RESULT', 'image/png', '\\x00', expires_at from jobs""").then().block();
        db.sql("analyze jobs").then().then(db.sql("analyze job_images").then()).block();

        String plan = db.sql("""
                        explain (format text) select exists (select 1 from job_images where purge_at <= now()) as images,
                               exists (select 1 from jobs where purge_at <= now()) as jobs""")
                .map((row, meta) -> row.get(0, String.class)).all().collectList()
                .map(lines -> String.join("\n", lines)).block();
        assertThat(plan).as(plan).contains("job_images_purge_due", "jobs_purge_due").doesNotContain("Seq Scan");
        assertThat(service.getBean(RetentionJanitor.class).purge(Instant.now()).block())
                .isEqualTo(RetentionJanitor.Purged.NONE);
    }

    private static void expectGone(WebTestClient.RequestHeadersSpec<?> request) {
        request.exchange().expectStatus().isEqualTo(410)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(String.class).value(body -> assertThat(body).contains("\"code\":\"result_expired\""));
    }

    private String succeeded(WebTestClient client, String prompt, String idempotencyKey) {
        String id = accepted(client, prompt, idempotencyKey);
        await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(job(client, id).get("status")));
        return id;
    }

    private static String accepted(WebTestClient client, String prompt, String idempotencyKey) {
        WebTestClient.RequestBodySpec post = client.post().uri("/v1/images/edits?async=true");
        if (idempotencyKey != null) {
            post = post.header("Idempotency-Key", idempotencyKey);
        }
        return (String) post.body(BodyInserters.fromMultipartData(EditForms.simple(prompt, TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");
    }

    private static Map<String, Object> job(WebTestClient client, String id) {
        return client.get().uri("/v1/jobs/" + id).exchange().expectStatus().isOk().expectBody(JSON)
                .returnResult().getResponseBody();
    }

    private static List<String> images(DatabaseClient db, String id) {
        return db.sql("select role from job_images where job_id = :id").bind("id", id)
                .map((row, meta) -> row.get("role", String.class)).all().collectList().block();
    }

    private static long count(DatabaseClient db, String sql) {
        return db.sql(sql).map((row, meta) -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10));
    }

    private static WebTestClient client(ConfigurableApplicationContext service, String key) {
        WebTestClient.Builder builder = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + Replicas.port(service)).responseTimeout(Duration.ofSeconds(30));
        if (key != null) {
            builder.defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + key);
        }
        return builder.build();
    }
}
