package com.acme.imageedit.ops;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.acme.imageedit.IntegrationTest;
import org.junit.jupiter.api.Test;

import static com.acme.imageedit.ops.RenderedChart.list;
import static com.acme.imageedit.ops.RenderedChart.path;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chart's {@code helm test} hook, run for real: its script (from the production render) against the service's
 * API and management ports, as the test pod runs it against the two Services. It passes with a team's key, passes
 * without one (401 expected), and fails with a wrong key.
 */
class HelmTestHookTest extends IntegrationTest {

    @Test
    void theHookPassesAgainstAHealthyServiceAndFailsOnAWrongKey() throws Exception {
        RenderedChart chart = RenderedChart.of("production");
        Map<String, Object> pod = chart.testHooks().get(0);
        @SuppressWarnings("unchecked")
        String script = ((List<String>) list(path(pod, "spec", "containers")).get(0).get("args")).get(0);

        Run withKey = run(script, TEAM_A_KEY);
        assertThat(withKey.exit()).as(withKey.output()).isZero();
        assertThat(withKey.output()).contains("readiness: UP", "GET /v1/models with the test key: 200");

        Run withoutKey = run(script, null);
        assertThat(withoutKey.exit()).as(withoutKey.output()).isZero();
        assertThat(withoutKey.output()).contains("GET /v1/models without a key: 401");

        Run wrongKey = run(script, "not-a-key");
        assertThat(wrongKey.exit()).as(wrongKey.output()).isNotZero();
        assertThat(wrongKey.output()).contains("authenticated call failed", "401");
    }

    private Run run(String script, String key) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.putAll(Map.of("API_HOST", "localhost", "API_PORT", Integer.toString(port),
                "MANAGEMENT_HOST", "localhost", "MANAGEMENT_PORT", Integer.toString(managementPort)));
        if (key == null) {
            env.remove("API_KEY");
        } else {
            env.put("API_KEY", key);
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), output);
    }

    private record Run(int exit, String output) {
    }
}
