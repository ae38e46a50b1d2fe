package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.SplittableRandom;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients that hang up in the middle of their submits (their request cancelled after 1–40 ms, at every stage of the
 * accept): whatever was stored is whole, a job with its input image, never one without it. The accept transaction is
 * not cancelled with the request (JobRepository), which bench/cancelled-accepts.sh once caught doing so under load.
 */
class CancelledSubmitsTest extends IntegrationTest {

    @Test
    void aSubmitCutOffByItsClientIsStoredWholeOrNotAtAll() {
        byte[] image = TestImages.png(256, 256);
        String run = "cancelled-" + System.nanoTime();
        SplittableRandom random = new SplittableRandom(42);
        long[] delays = random.longs(300, 1, 40).toArray();
        Flux.range(0, delays.length)
                .flatMap(i -> webClient().post().uri("/v1/images/edits?async=true")
                        .body(BodyInserters.fromMultipartData(EditForms.simple(run + " edit " + i, image)))
                        .retrieve().toBodilessEntity()
                        .timeout(Duration.ofMillis(delays[i]))
                        .onErrorResume(e -> Mono.empty()), 32)
                .blockLast(Duration.ofSeconds(120));

        String mine = "prompt like '" + run + "%'";
        // every transaction has ended: no accept of this run still holds a connection
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> count(
                "select count(*) from pg_stat_activity where datname = current_database() "
                        + "and state like 'idle in transaction%'") == 0);
        long jobs = count("select count(*) from jobs where " + mine);
        long withoutImage = count("select count(*) from jobs j where " + mine + " and not exists (select 1 from "
                + "job_images i where i.job_id = j.id and i.role = 'INPUT')");
        assertThat(withoutImage).as("jobs stored without their image, of %d stored", jobs).isZero();
    }
}
