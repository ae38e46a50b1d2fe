package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.TestImages;
import com.acme.imageedit.upstream.TheRouterClient;
import com.acme.imageedit.upstream.UpstreamSubmission;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.r2dbc.core.Parameter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker that claimed jobs and then died (stopped renewing, never finished): its leases run out and the live workers
 * take over. What happens to each job depends on how far the dead worker got, and no job is submitted twice.
 */
class LeaseTakeoverTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final String DEAD = "dead-worker";

    @Autowired
    private TheRouterClient theRouter;

    @Test
    void leasesOfADeadWorkerAreTakenOverWithoutASecondSubmit() {
        simulator.reset();
        String run = "takeover-" + System.nanoTime();
        byte[] image = TestImages.png(256, 256);

        // Claimed for submit, request never sent: safe to submit (once) by someone else.
        List<String> unsent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            unsent.add(insertClaimed(run + " unsent " + i, image, "SUBMITTING", false, null));
        }
        // Claimed, submitted and recorded upstream, then the worker died while polling: polled, never resubmitted.
        List<String> running = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String prompt = run + " running " + i;
            String upstreamId = submitDirectlyToSimulator(prompt, image);
            running.add(insertClaimed(prompt, image, "RUNNING", false, upstreamId));
        }
        // Claimed and the request sent, answer lost with the worker: at-most-once by default, so it fails.
        String ambiguous = insertClaimed(run + " ambiguous", image, "SUBMITTING", true, null);

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (String id : concat(unsent, running)) {
                assertThat(status(id)).as(id).isEqualTo("SUCCEEDED");
            }
            assertThat(status(ambiguous)).isEqualTo("FAILED");
        });

        assertThat(errorCode(ambiguous)).isEqualTo("submit_outcome_unknown");
        // 5 direct submits by the test + 5 takeovers of unsent claims; the running and ambiguous ones never again.
        assertThat(simulator.stats().submitsAccepted()).isEqualTo(10);
        assertThat(simulator.stats().duplicateSubmits()).isZero();
        assertThat(count("select count(*) from jobs where leased_by = '" + DEAD + "'")).isZero();
        for (String id : running) {
            assertThat(count("select submit_attempts from jobs where id = '" + id + "'")).isZero();
        }
    }

    /** Writes a job in the state a worker that died would have left behind: leased by it, lease about to run out. */
    private String insertClaimed(String prompt, byte[] image, String status, boolean sent, String upstreamId) {
        String id = newJobId();
        db.sql("""
                        insert into jobs (id, team_id, model, prompt, price_usd, status, version, leased_by, lease_until,
                                          next_attempt_at, submit_sent_at, submit_attempts, upstream_id, deadline_at)
                        values (:id, 'demo-a', 'qwen/qwen-image-edit', :prompt, 0.048, :status, 1, :dead,
                                now() + interval '1 second', now() + interval '1 second',
                                case when :sent then now() else null end, case when :sent then 1 else 0 end,
                                :upstream, now() + interval '1 hour')""")
                .bind("id", id)
                .bind("prompt", prompt)
                .bind("status", status)
                .bind("dead", DEAD)
                .bind("sent", sent)
                .bind("upstream", Parameter.fromOrEmpty(upstreamId, String.class))
                .then().block(Duration.ofSeconds(10));
        db.sql("insert into job_images (job_id, role, content_type, bytes) values (:id, 'INPUT', 'image/png', :b)")
                .bind("id", id).bind("b", image).then().block(Duration.ofSeconds(10));
        return id;
    }

    private static String newJobId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        StringBuilder id = new StringBuilder("img_");
        for (int i = 0; i < 26; i++) {
            id.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
        }
        return id.toString();
    }

    /** What the dead worker sent before it died, sent with the service's own client (as the worker would have). */
    private String submitDirectlyToSimulator(String prompt, byte[] image) {
        return theRouter.submit(new UpstreamSubmission("qwen/qwen-image-edit", prompt, image, "image/png", null, null,
                null, null)).block(Duration.ofSeconds(10)).id();
    }

    private String status(String id) {
        return db.sql("select status from jobs where id = :id").bind("id", id)
                .map((row, meta) -> row.get(0, String.class)).one().block(Duration.ofSeconds(5));
    }

    private String errorCode(String id) {
        return db.sql("select error_code from jobs where id = :id").bind("id", id)
                .map((row, meta) -> row.get(0, String.class)).one().block(Duration.ofSeconds(5));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
