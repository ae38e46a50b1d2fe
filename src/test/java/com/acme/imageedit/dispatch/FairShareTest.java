package com.acme.imageedit.dispatch;

import java.time.Duration;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Team A queues 1,000 jobs, then team B queues 10: B's jobs must not wait behind A's backlog. The bound is the issue's:
 * all of B's 10 among the first (10 × number of teams + batch size) dispatches after B's submits.
 */
class FairShareTest extends IntegrationTest {

    private static final int BATCH_SIZE = 32; // dispatch.batch-size in application-test.yml

    @Test
    void aBacklogOfOneTeamDoesNotDelayAnother() {
        String run = "fair-" + System.nanoTime();
        byte[] image = TestImages.png(64, 64);
        // One transaction: the dispatcher sees A's backlog (older) and B's jobs (newer) at the same moment.
        db.sql("""
                        with a as (
                            insert into jobs (id, team_id, model, prompt, price_usd, status, next_attempt_at, created_at,
                                              deadline_at)
                            select 'img_' || substr(md5(:run || 'a' || g), 1, 26), 'demo-a', 'qwen/qwen-image-edit',
                                   :run || ' A ' || g, 0.048, 'QUEUED', now() - interval '1 minute' + g * interval '1 ms',
                                   now() - interval '1 minute', now() + interval '1 hour'
                            from generate_series(1, 1000) g returning id),
                        b as (
                            insert into jobs (id, team_id, model, prompt, price_usd, status, next_attempt_at,
                                              deadline_at)
                            select 'img_' || substr(md5(:run || 'b' || g), 1, 26), 'demo-b', 'qwen/qwen-image-edit',
                                   :run || ' B ' || g, 0.048, 'QUEUED', now(), now() + interval '1 hour'
                            from generate_series(1, 10) g returning id)
                        insert into job_images (job_id, role, content_type, bytes)
                        select id, 'INPUT', 'image/png', :image from (select id from a union all select id from b) ids""")
                .bind("run", run)
                .bind("image", image)
                .then().block(Duration.ofSeconds(30));

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> count(
                "select count(*) from jobs where prompt like '" + run + " B %' and submit_sent_at is not null") == 10);

        long dispatchesUntilLastB = count("""
                select count(*) from jobs
                where prompt like '%s %%' and submit_sent_at <= (select max(submit_sent_at) from jobs
                                                                 where prompt like '%s B %%')""".formatted(run, run));
        assertThat(dispatchesUntilLastB).as("dispatches until B's last job went out")
                .isLessThanOrEqualTo(10 * 2 + BATCH_SIZE);

        // The rest of A's backlog has made its point; cancel it so later tests start with a quiet upstream.
        db.sql("update jobs set status = 'CANCELLED', finished_at = now(), version = version + 1 "
                + "where prompt like '" + run + " %' and status = 'QUEUED'").then().block(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> count(
                "select count(*) from jobs where prompt like '" + run + " %' "
                        + "and status in ('QUEUED', 'SUBMITTING', 'RUNNING')") == 0);
        assertThat(count("select count(*) from jobs where prompt like '" + run + " B %' and status = 'SUCCEEDED'"))
                .isEqualTo(10);
    }
}
