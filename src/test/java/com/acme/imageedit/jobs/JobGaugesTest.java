package com.acme.imageedit.jobs;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The team states the queue-age gauge is split by (the query is exercised by ExportedMetricsTest, held team). */
class JobGaugesTest {

    @Test
    void aTeamIsHeldAtItsCapOrOpen() {
        assertThat(JobGauges.teamState(null, 500L)).as("no cap").isEqualTo(JobGauges.TeamState.OPEN);
        assertThat(JobGauges.teamState(0, 0L)).as("max-in-flight 0").isEqualTo(JobGauges.TeamState.HELD);
        assertThat(JobGauges.teamState(3, 3L)).as("three of three in flight").isEqualTo(JobGauges.TeamState.AT_CAP);
        assertThat(JobGauges.teamState(3, 4L)).as("over its cap (replicas claiming at once)")
                .isEqualTo(JobGauges.TeamState.AT_CAP);
        assertThat(JobGauges.teamState(3, 2L)).as("room for one more").isEqualTo(JobGauges.TeamState.OPEN);
        assertThat(JobGauges.teamState(3, 0L)).isEqualTo(JobGauges.TeamState.OPEN);
    }
}
