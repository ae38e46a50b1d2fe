package com.acme.imageedit.jobs;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 7240 {@code Prefer: wait=N} as the submit endpoints read it. */
class WaitPreferenceTest {

    private static final Duration MAX = Duration.ofSeconds(55);

    @Test
    void waitIsReadAmongOtherPreferencesAndMalformedOnesAreIgnored() {
        assertThat(WaitPreference.requested("wait=10")).isEqualTo(10);
        assertThat(WaitPreference.requested("respond-async, wait=5")).isEqualTo(5);
        assertThat(WaitPreference.requested("handling=lenient; WAIT = 7")).isEqualTo(7);
        assertThat(WaitPreference.requested("wait=\"3\"")).isEqualTo(3);
        assertThat(WaitPreference.requested("wait=soon")).isNull();
        assertThat(WaitPreference.requested("nowait=4")).isNull();
        assertThat(WaitPreference.requested(null)).isNull();
    }

    @Test
    void theBoundIsCappedAndDefaultsByMode() {
        assertThat(WaitPreference.bound(true, null, MAX)).isZero();
        assertThat(WaitPreference.bound(false, null, MAX)).isEqualTo(MAX);
        assertThat(WaitPreference.bound(true, 10L, MAX)).isEqualTo(Duration.ofSeconds(10));
        assertThat(WaitPreference.bound(false, 3600L, MAX)).isEqualTo(MAX);
        assertThat(WaitPreference.bound(false, 0L, MAX)).isZero();
    }
}
