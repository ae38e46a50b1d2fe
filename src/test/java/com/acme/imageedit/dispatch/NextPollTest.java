package com.acme.imageedit.dispatch;

import java.time.Duration;

import com.acme.imageedit.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/** The poller's wake-up time comes from the running jobs' due times in PostgreSQL. */
class NextPollTest extends IntegrationTest {

    @Autowired
    JobClaims claims;

    @Test
    void theNextPollIsTheEarliestDueRunningJob() {
        String id = "img_nextpolltest" + Long.toString(System.nanoTime(), 32);
        db.sql("""
                        insert into jobs (id, team_id, model, prompt, price_usd, status, version, upstream_id,
                                          submitted_at, next_attempt_at, deadline_at)
                        values (:id, 'demo-a', 'qwen/qwen-image-edit', 'next poll', 0.048, 'RUNNING', 1, 'up-' || :id,
                                now(), now() + interval '1 hour', now() + interval '2 hours')""")
                .bind("id", id).then().block(Duration.ofSeconds(5));
        try {
            Duration wait = claims.untilNextPoll().block(Duration.ofSeconds(5));
            // the earliest of all running jobs (other tests' may be due sooner), never later than this one's
            assertThat(wait).isNotNull().isBetween(Duration.ofMinutes(-1), Duration.ofHours(1));
        } finally {
            db.sql("delete from jobs where id = :id").bind("id", id).then().block(Duration.ofSeconds(5));
        }
    }
}
