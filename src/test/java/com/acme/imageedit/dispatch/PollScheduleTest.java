package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.util.SplittableRandom;

import com.acme.imageedit.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The adaptive plan as the service makes it: from run-time samples stored in PostgreSQL by the poller's own SQL, so
 * that every replica (here two schedules) derives the same plan from the same rows, and none before it has enough.
 */
class PollScheduleTest extends IntegrationTest {

    private static final int JOBS = 400;

    @Autowired
    private DispatchProperties dispatch;

    @BeforeEach
    void samplesSeenThroughTheLoop() {
        PollSchedule recorder = schedule(300, JOBS);
        SplittableRandom random = new SplittableRandom(5);
        Flux.range(0, JOBS)
                .concatMap(i -> {
                    long runTime = 30_000 + (long) (random.nextDouble() * 150_000);
                    long high = (runTime / 5_000 + 1) * 5_000;
                    return recorder.recordRunTime("plan-test-" + i, high - 5_000, high, random.nextInt(1_000),
                            (long) random.nextInt(1_000));
                })
                .then()
                .block(Duration.ofSeconds(30));
        // newest of all samples, whatever else the shared context's poller records meanwhile
        db.sql("update upstream_run_samples set observed_at = now() + interval '1 day' where job_id like 'plan-test-%'")
                .then().block(Duration.ofSeconds(5));
    }

    @Test
    void everyReplicaDerivesTheSamePlanFromTheSameRows() {
        PollPlan[] plans = new PollPlan[2];
        StepVerifier.create(schedule(300, JOBS).refresh())
                .assertNext(plan -> plans[0] = plan)
                .verifyComplete();
        StepVerifier.create(schedule(300, JOBS).refresh())
                .assertNext(plan -> plans[1] = plan)
                .verifyComplete();
        assertThat(plans[0]).isEqualTo(plans[1]);
        PollPlan loop = PollPlan.fixed(dispatch.firstPollDelay().toMillis(), dispatch.pollInterval().toMillis());
        assertThat(plans[0]).isNotEqualTo(loop);
        // nothing finishes before 30 s: the plan does not poll for it
        assertThat(plans[0].firstOffset()).isGreaterThanOrEqualTo(25_000);
        long[] offsets = plans[0].offsetsMillis();
        for (int i = 1; i < offsets.length; i++) {
            assertThat(offsets[i] - offsets[i - 1]).isBetween(1_000L, 60_000L);
        }
    }

    @Test
    void aSecondRecordOfTheSameJobIsIgnored() {
        long before = db.sql("select count(*) from upstream_run_samples").map(row -> row.get(0, Long.class)).one()
                .block(Duration.ofSeconds(5));
        StepVerifier.create(schedule(300, JOBS).recordRunTime("plan-test-0", 0, 1_000, 0, null)).verifyComplete();
        assertThat(db.sql("select count(*) from upstream_run_samples").map(row -> row.get(0, Long.class)).one()
                .block(Duration.ofSeconds(5))).isEqualTo(before);
    }

    @Test
    void theDelayOfThePollThatSawTheJobFinishedIsKeptWithItsRunTime() {
        StepVerifier.create(schedule(300, JOBS).recordRunTime("delay-test-late", 40_000, 45_000, 730, 20L)
                        .then(schedule(300, JOBS).recordRunTime("delay-test-clock", 40_000, 45_000, -3, null)))
                .verifyComplete();
        assertThat(db.sql("""
                        select job_id, delay_ms, previous_delay_ms from upstream_run_samples
                        where job_id like 'delay-test-%'""")
                .map(row -> row.get("job_id", String.class) + "=" + row.get("delay_ms", Long.class) + "/"
                        + row.get("previous_delay_ms", Long.class)).all()
                .collectList().block(Duration.ofSeconds(5)))
                .containsExactlyInAnyOrder("delay-test-late=730/20", "delay-test-clock=0/null");
    }

    @Test
    void tooFewSamplesKeepTheLoop() {
        PollPlan loop = PollPlan.fixed(dispatch.firstPollDelay().toMillis(), dispatch.pollInterval().toMillis());
        StepVerifier.create(schedule(JOBS + 1, JOBS).refresh())
                .expectNext(loop)
                .verifyComplete();
    }

    private PollSchedule schedule(int minSamples, int window) {
        PollingProperties polling = new PollingProperties(PollingProperties.Mode.ADAPTIVE, Duration.ofSeconds(5),
                Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofMillis(2_500), Duration.ofMillis(4_500), 1.0,
                0.02, minSamples, window, Duration.ofSeconds(30));
        return new PollSchedule(db, polling, dispatch);
    }
}
