package com.acme.imageedit.ops;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Assumptions;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.awaitility.Awaitility.await;

/**
 * A real Prometheus server (the binary of Debian's {@code prometheus} package, 2.42, or any other on the PATH or in
 * {@code -Dprometheus.binary}) scraping the service, for tests that hold the shipped dashboards and alert rules against
 * what Prometheus itself makes of the scrape. It scrapes the shipped job ({@code job_name} and {@code metrics_path} of
 * deploy/prometheus/prometheus.yml) every second from a target file the test rewrites (a replica started, a replica
 * gone), and evaluates the shipped rules every second.
 *
 * <p>Without the binary the test is skipped, except under {@code CI=true}: there .ci/run installs the package, and a
 * missing binary is a failure, never a silent skip.
 */
final class PrometheusServer implements AutoCloseable {

    static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(1);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path dir;
    private final Path targets;
    private final String jobName;
    private final Process process;
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusServer(Path binary, Path dir, Path rules, Map<String, Duration> forOverrides) throws IOException {
        this.dir = dir;
        Map<String, Object> shipped = OpsFiles.yaml(Path.of("deploy", "prometheus", "prometheus.yml"));
        @SuppressWarnings("unchecked")
        Map<String, Object> job = ((List<Map<String, Object>>) shipped.get("scrape_configs")).get(0);
        this.jobName = (String) job.get("job_name");
        String metricsPath = (String) job.getOrDefault("metrics_path", "/metrics");

        Path rulesDir = Files.createDirectories(dir.resolve("rules"));
        StringBuilder all = new StringBuilder();
        for (Path file : OpsFiles.list(rules, ".yml")) {
            String text = OpsFiles.read(file);
            all.append(text);
            Files.writeString(rulesDir.resolve(file.getFileName()), overrideFor(text, forOverrides));
        }
        for (String alert : forOverrides.keySet()) {
            if (!all.toString().contains("- alert: " + alert + "\n")) {
                throw new IllegalArgumentException("no alert " + alert + " in " + rules + " to override");
            }
        }
        this.targets = dir.resolve("targets.json");
        writeTargets(List.of());
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: %1$ds
                  scrape_timeout: %1$ds
                  evaluation_interval: %1$ds
                rule_files:
                  - %2$s/*.yml
                scrape_configs:
                  - job_name: %3$s
                    metrics_path: %4$s
                    file_sd_configs:
                      - files: [%5$s]
                        refresh_interval: 1s
                """.formatted(SCRAPE_INTERVAL.toSeconds(), rulesDir.toAbsolutePath(), jobName, metricsPath,
                targets.toAbsolutePath()));

        int port = freePort();
        this.base = URI.create("http://127.0.0.1:" + port);
        Path log = dir.resolve("prometheus.log");
        this.process = new ProcessBuilder(binary.toString(),
                "--config.file=" + config.toAbsolutePath(),
                "--storage.tsdb.path=" + dir.resolve("data").toAbsolutePath(),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=info")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new AssertionError("prometheus exited: " + Files.readString(log));
                        }
                        return get("/-/ready").statusCode() == 200;
                    });
        } catch (RuntimeException | Error e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /**
     * Starts Prometheus in {@code dir} with the rules of {@code rules}. {@code forOverrides} shortens the {@code for:}
     * of the named alerts (a test cannot wait five minutes); every other rule is loaded exactly as shipped.
     */
    static PrometheusServer start(Path dir, Path rules, Map<String, Duration> forOverrides) {
        Path binary = require("prometheus");
        try {
            // A fresh TSDB every time: series of an earlier run would still be within the lookback window.
            if (Files.exists(dir)) {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            return new PrometheusServer(binary, Files.createDirectories(dir), rules, forOverrides);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A tool of Debian's prometheus package ({@code prometheus}, {@code promtool}): {@code -D<name>.binary}, the
     * environment's {@code <NAME>_BINARY}, or the PATH. Missing, the calling test is skipped, or fails under
     * {@code CI=true}, where .ci/run installs the package.
     */
    static Path require(String name) {
        Path binary = find(name).orElse(null);
        if (binary == null) {
            String why = "no " + name + " on the PATH or in -D" + name + ".binary (apt-get install prometheus)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why + ": .ci/run installs it, so under CI this is a failure");
            }
            Assumptions.abort(why);
        }
        return binary;
    }

    static Optional<Path> find(String name) {
        String configured = System.getProperty(name + ".binary",
                System.getenv(name.toUpperCase(java.util.Locale.ROOT) + "_BINARY"));
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured)).filter(Files::isExecutable);
        }
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(entry, name);
            if (!entry.isBlank() && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The server's version, for the report. */
    String version() {
        return api("/api/v1/status/buildinfo").path("version").asString("?");
    }

    /** Scrapes exactly these {@code host:port} targets from now on (each with its own {@code instance} label). */
    void scrape(List<String> hostPorts) {
        writeTargets(hostPorts);
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> activeTargets().keySet().equals(new java.util.HashSet<>(hostPorts)));
    }

    /** The active targets by {@code instance}, with their health ("up", "down", "unknown") and last error. */
    Map<String, String[]> activeTargets() {
        Map<String, String[]> active = new LinkedHashMap<>();
        for (JsonNode target : api("/api/v1/targets?state=active").path("activeTargets")) {
            if (jobName.equals(target.path("labels").path("job").asString())) {
                active.put(target.path("labels").path("instance").asString(),
                        new String[] {target.path("health").asString(), target.path("lastError").asString()});
            }
        }
        return active;
    }

    String jobName() {
        return jobName;
    }

    /** An instant query's result (a JSON array of {metric, value}), evaluated at {@code time}. */
    JsonNode query(String expr, Instant time) {
        return api("/api/v1/query?query=" + encode(expr) + "&time=" + seconds(time)).path("result");
    }

    JsonNode query(String expr) {
        return api("/api/v1/query?query=" + encode(expr)).path("result");
    }

    /** A range query's result (a JSON array of {metric, values}). */
    JsonNode queryRange(String expr, Instant start, Instant end, Duration step) {
        return api("/api/v1/query_range?query=" + encode(expr) + "&start=" + seconds(start) + "&end=" + seconds(end)
                + "&step=" + step.toMillis() / 1000.0).path("result");
    }

    /** Every rule group as Prometheus reports it: each rule's name, health, last error, and alert state. */
    JsonNode rules() {
        return api("/api/v1/rules").path("groups");
    }

    /** Alerts pending or firing right now, as "name{labels} state". */
    List<String> alerts() {
        List<String> alerts = new ArrayList<>();
        for (JsonNode alert : api("/api/v1/alerts").path("alerts")) {
            alerts.add(alert.path("labels").path("alertname").asString() + " " + alert.path("state").asString());
        }
        return alerts;
    }

    Path log() {
        return dir.resolve("prometheus.log");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private JsonNode api(String pathAndQuery) {
        HttpResponse<String> response = get(pathAndQuery);
        JsonNode body = JSON.readTree(response.body());
        if (response.statusCode() != 200 || !"success".equals(body.path("status").asString())) {
            throw new AssertionError("Prometheus " + pathAndQuery + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return body.path("data");
    }

    private HttpResponse<String> get(String pathAndQuery) {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(30)).GET()
                    .build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void writeTargets(List<String> hostPorts) {
        String list = hostPorts.stream().map(t -> "\"" + t + "\"").collect(Collectors.joining(", "));
        try {
            // Written aside and moved, so that Prometheus' file watcher never reads half a file.
            Path tmp = dir.resolve("targets.json.tmp");
            Files.writeString(tmp, "[{\"targets\": [" + list + "]}]\n");
            Files.move(tmp, targets, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rules file with {@code for:} replaced in the named alerts; fails when a named alert is not there. */
    static String overrideFor(String rules, Map<String, Duration> overrides) {
        String result = rules;
        for (Map.Entry<String, Duration> override : overrides.entrySet()) {
            String alert = "- alert: " + override.getKey() + "\n";
            int at = result.indexOf(alert);
            if (at < 0) {
                continue;
            }
            int next = result.indexOf("- alert: ", at + alert.length());
            int end = next < 0 ? result.length() : next;
            String rule = result.substring(at, end);
            String changed = rule.replaceFirst("(?m)^(\\s+)for: \\S+$", "$1for: " + override.getValue().toSeconds() + "s");
            if (changed.equals(rule)) {
                throw new IllegalArgumentException(override.getKey() + " has no for: to override");
            }
            result = result.substring(0, at) + changed + result.substring(end);
        }
        return result;
    }

    private static String seconds(Instant time) {
        return String.format(java.util.Locale.ROOT, "%.3f", time.toEpochMilli() / 1000.0);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
