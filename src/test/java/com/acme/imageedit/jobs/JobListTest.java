package com.acme.imageedit.jobs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

/** GET /v1/jobs: newest first, keyset pages that neither skip nor repeat while jobs are added, and the filters. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobListTest extends IntegrationTest {

    private static final String HELD_KEY = CancelTest.HELD_KEY;
    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private final byte[] png = TestImages.png(256, 256);

    /** The held team's jobs stay queued, so 250 of them cost the simulator nothing. */
    @BeforeAll
    void twoHundredFiftyJobs() {
        Flux.range(0, 250).flatMap(i -> submit("listed " + i, i % 2 == 0 ? "even" : "odd"), 16).blockLast();
    }

    @AfterAll
    void cancelThem() {
        db.sql("update jobs set status = 'CANCELLED', finished_at = now(), version = version + 1 "
                + "where team_id = 'held' and status = 'QUEUED'").fetch().rowsUpdated().block();
    }

    @Test
    void pagesOfAHundredWalkEveryJobOnceWhileNewOnesArrive() {
        Set<String> existing = new HashSet<>(db.sql("select id from jobs where team_id = 'held'")
                .map((row, meta) -> row.get(0, String.class)).all().collectList().block());
        assertThat(existing).hasSizeGreaterThanOrEqualTo(250);

        AtomicBoolean walking = new AtomicBoolean(true);
        Disposable inserts = Flux.range(0, 1000).concatMap(i -> submit("inserted during the walk " + i, "new"))
                .takeWhile(x -> walking.get()).subscribe();
        List<String> walked = new ArrayList<>();
        List<Long> created = new ArrayList<>();
        int pages = 0;
        String cursor = null;
        try {
            do {
                String uri = "/v1/jobs?limit=100" + (cursor == null ? "" : "&after=" + cursor);
                Map<String, Object> page = http(HELD_KEY).get().uri(uri).exchange().expectStatus().isOk()
                        .expectBody(JSON).returnResult().getResponseBody();
                assertThat(page).containsEntry("object", "list");
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> data = (List<Map<String, Object>>) page.get("data");
                assertThat(data).hasSizeLessThanOrEqualTo(100);
                data.forEach(job -> {
                    walked.add((String) job.get("id"));
                    created.add(((Number) job.get("created_at")).longValue());
                });
                pages++;
                cursor = Boolean.TRUE.equals(page.get("has_more")) ? (String) page.get("next_cursor") : null;
                if (!Boolean.TRUE.equals(page.get("has_more"))) {
                    assertThat(page.get("next_cursor")).isNull();
                }
            } while (cursor != null);
        } finally {
            walking.set(false);
            inserts.dispose();
        }

        assertThat(pages).isGreaterThanOrEqualTo(3);
        assertThat(walked).doesNotHaveDuplicates().containsAll(existing);
        assertThat(created).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        assertThat(count("select count(*) from jobs where team_id = 'held' and prompt like 'inserted during%'"))
                .as("jobs were inserted during the walk").isPositive();
    }

    @Test
    void filtersByStatusTimeAndMetadataAndOnlyTheCallersJobs() {
        List<Map<String, Object>> even = list("/v1/jobs?limit=100&metadata[parity]=even");
        assertThat(even).hasSize(100).allSatisfy(job -> assertThat(job.get("metadata"))
                .isEqualTo(Map.of("parity", "even", "suite", "list")));
        assertThat(list("/v1/jobs?limit=100&status=succeeded,failed")).isEmpty();
        assertThat(list("/v1/jobs?limit=5&status=queued")).hasSize(5)
                .allSatisfy(job -> assertThat(job.get("status")).isEqualTo("queued"));
        assertThat(list("/v1/jobs?created_after=2100-01-01T00:00:00Z")).isEmpty();
        assertThat(list("/v1/jobs?created_before=946684800")).isEmpty();
        assertThat(http(TEAM_B_KEY).get().uri("/v1/jobs?limit=100&metadata[suite]=list").exchange()
                .expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody().get("data")).asList()
                .isEmpty();
    }

    @Test
    void badQueriesAreProblemsNamingTheParameter() {
        rejected("/v1/jobs?after=bm90LWEtY3Vyc29y", "after");
        rejected("/v1/jobs?after=%25%25%25", "after");
        rejected("/v1/jobs?limit=101", "limit");
        rejected("/v1/jobs?limit=zero", "limit");
        rejected("/v1/jobs?status=done", "status");
        rejected("/v1/jobs?created_after=yesterday", "created_after");
    }

    private void rejected(String uri, String field) {
        http(HELD_KEY).get().uri(uri).exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.field").isEqualTo(field).jsonPath("$.error.param").isEqualTo(field);
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> list(String uri) {
        return (List<Map<String, Object>>) http(HELD_KEY).get().uri(uri).exchange().expectStatus().isOk()
                .expectBody(JSON).returnResult().getResponseBody().get("data");
    }

    private Mono<String> submit(String prompt, String parity) {
        MultipartBodyBuilder form = EditForms.edit(prompt, png);
        form.part("metadata[parity]", parity);
        form.part("metadata[suite]", "list");
        return webClient(HELD_KEY).post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(form.build()))
                .retrieve().bodyToMono(JSON).map(job -> (String) job.get("id"));
    }
}
