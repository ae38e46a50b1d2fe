package com.acme.imageedit.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The alert rules as an operator meets them: each one has a severity, a {@code for:}, and a runbook in
 * docs/runbooks.md that says what it means, how to confirm it, what to do and how it clears; and each one is unit tested
 * with promtool (deploy/prometheus/tests/), both firing and quiet, and those tests pass. The live side (a real
 * Prometheus over the running service) is {@link RealPrometheusTest}.
 */
@SuppressWarnings("unchecked")
class AlertRulesTest {

    private static final Path TESTS = Path.of("deploy", "prometheus", "tests");
    private static final Path RUNBOOKS = Path.of("docs", "runbooks.md");
    private static final String RUNBOOK_BASE = "https://image-edit-proxy.internal/docs/runbooks.md#";
    private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");
    private static final List<String> RUNBOOK_PARTS = List.of("What it means", "How to confirm", "What to do",
            "How it clears");

    @Test
    void everyAlertHasASeverityAForAndARunbookThatCoversIt() {
        Map<String, String> runbooks = runbookSections();
        List<String> problems = new ArrayList<>();
        for (Map<String, Object> rule : alerts()) {
            String name = (String) rule.get("alert");
            Map<String, Object> labels = (Map<String, Object>) rule.getOrDefault("labels", Map.of());
            Map<String, Object> annotations = (Map<String, Object>) rule.getOrDefault("annotations", Map.of());
            if (!SEVERITIES.contains(String.valueOf(labels.get("severity")))) {
                problems.add(name + ": severity " + labels.get("severity") + " is not one of " + SEVERITIES);
            }
            if (!rule.containsKey("for")) {
                problems.add(name + ": no for: (write for: 0m where an event must alert at once, and say why)");
            }
            String url = String.valueOf(annotations.get("runbook_url"));
            if (!url.equals(RUNBOOK_BASE + name.toLowerCase(Locale.ROOT))) {
                problems.add(name + ": runbook_url " + url + " is not " + RUNBOOK_BASE + name.toLowerCase(Locale.ROOT));
            }
            String section = runbooks.get(name);
            if (section == null) {
                problems.add(name + ": no '## " + name + "' section in docs/runbooks.md");
                continue;
            }
            for (String part : RUNBOOK_PARTS) {
                if (!section.contains("**" + part)) {
                    problems.add(name + ": its runbook lacks '**" + part + "**'");
                }
            }
        }
        assertThat(problems).isEmpty();
        assertThat(runbooks.keySet()).as("runbooks for alerts that do not exist")
                .isSubsetOf(alerts().stream().map(r -> (String) r.get("alert")).toList());
    }

    @Test
    void everyAlertIsUnitTestedFiringAndQuiet() {
        Map<String, Set<String>> cases = new LinkedHashMap<>();
        for (Path file : OpsFiles.list(TESTS, ".yml")) {
            for (Map<String, Object> test : (List<Map<String, Object>>) OpsFiles.yaml(file).get("tests")) {
                for (Map<String, Object> check : (List<Map<String, Object>>) test.getOrDefault("alert_rule_test",
                        List.of())) {
                    List<Object> expected = (List<Object>) check.get("exp_alerts");
                    cases.computeIfAbsent((String) check.get("alertname"), k -> new LinkedHashSet<>())
                            .add(expected == null || expected.isEmpty() ? "quiet" : "fires");
                }
            }
        }
        List<String> missing = new ArrayList<>();
        for (Map<String, Object> rule : alerts()) {
            String name = (String) rule.get("alert");
            Set<String> kinds = cases.getOrDefault(name, Set.of());
            if (!kinds.contains("fires") || !kinds.contains("quiet")) {
                missing.add(name + " is tested only " + kinds);
            }
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void promtoolChecksTheRulesAndTheirUnitTestsPass() throws Exception {
        Path promtool = PrometheusServer.require("promtool");
        List<String> check = new ArrayList<>(List.of(promtool.toString(), "check", "rules"));
        OpsFiles.list(OpsFiles.RULES, ".yml").forEach(f -> check.add(f.toString()));
        assertThat(run(check)).contains("SUCCESS");
        List<String> test = new ArrayList<>(List.of(promtool.toString(), "test", "rules"));
        OpsFiles.list(TESTS, ".yml").forEach(f -> test.add(f.toString()));
        assertThat(run(test)).contains("SUCCESS");
    }

    private static List<Map<String, Object>> alerts() {
        List<Map<String, Object>> alerts = new ArrayList<>();
        for (Path file : OpsFiles.list(OpsFiles.RULES, ".yml")) {
            for (Map<String, Object> group : (List<Map<String, Object>>) OpsFiles.yaml(file).get("groups")) {
                for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                    if (rule.containsKey("alert")) {
                        alerts.add(rule);
                    }
                }
            }
        }
        assertThat(alerts).isNotEmpty();
        return alerts;
    }

    /** docs/runbooks.md by "## Name" section. */
    private static Map<String, String> runbookSections() {
        Map<String, String> sections = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^## (\\S+)\\s*$").matcher(OpsFiles.read(RUNBOOKS));
        List<int[]> starts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (m.find()) {
            starts.add(new int[] {m.start(), m.end()});
            names.add(m.group(1));
        }
        String text = OpsFiles.read(RUNBOOKS);
        for (int i = 0; i < names.size(); i++) {
            int end = i + 1 < starts.size() ? starts.get(i + 1)[0] : text.length();
            sections.put(names.get(i), text.substring(starts.get(i)[1], end));
        }
        return sections;
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        assertThat(process.exitValue()).as("%s exit code; output:%n%s", command, output).isZero();
        return output;
    }
}
