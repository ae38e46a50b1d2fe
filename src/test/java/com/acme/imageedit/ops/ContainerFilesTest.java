package com.acme.imageedit.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No Docker engine runs here, so the Dockerfile and docker-compose.yml are checked for what would break them: the
 * image compose runs is the one the Dockerfile builds, every file they mount exists, and the ports and paths agree
 * with application.yml, Prometheus' scrape config and Grafana's provisioning.
 */
@SuppressWarnings("unchecked")
class ContainerFilesTest {

    private static final Pattern PINNED = Pattern.compile("^[a-z0-9./-]+:[A-Za-z0-9._-]*\\d[A-Za-z0-9._-]*(@sha256:[0-9a-f]{64})?$");

    private final Map<String, Object> compose = OpsFiles.yaml(Path.of("docker-compose.yml"));
    private final Map<String, Object> services = (Map<String, Object>) compose.get("services");
    private final String dockerfile = OpsFiles.read(Path.of("Dockerfile"));

    @Test
    void dockerfileBuildsWithTheWrapperIntoLayersAndRunsNonRootWithAHealthcheck() {
        List<String> froms = matches("(?m)^FROM\\s+(\\S+)", dockerfile);
        assertThat(froms).hasSizeGreaterThanOrEqualTo(2).allMatch(image -> PINNED.matcher(image).matches(), "pinned");
        assertThat(froms.get(froms.size() - 1)).startsWith("eclipse-temurin:17").contains("-jre");
        assertThat(dockerfile).contains("./mvnw ").contains("-Djarmode=tools").contains("extract --layers --launcher");
        String finalStage = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
        assertThat(matches("(?m)^USER\\s+(\\S+)", finalStage)).singleElement()
                .matches(u -> !u.startsWith("root") && !u.startsWith("0"), "not root");
        assertThat(matches("(?m)^ENTRYPOINT\\s+(.+)$", finalStage)).singleElement()
                .matches(e -> e.startsWith("[\"java\""), "exec form");
        assertThat(finalStage).contains("MaxRAMPercentage").contains("HEALTHCHECK").contains("ExitOnOutOfMemoryError");
        assertThat(matches("(?m)^HEALTHCHECK.*\\n?.*CMD.*?(/actuator/health\\S*)", finalStage)).isNotEmpty();
        assertThat(finalStage).contains("/dev/tcp/127.0.0.1/" + managementPort());
        for (String copied : matches("(?m)^COPY\\s+(?!--from)(\\S+)", dockerfile)) {
            assertThat(Path.of(copied)).as("COPY source").exists();
        }
        assertThat(OpsFiles.read(Path.of(".dockerignore"))).contains("!src/").contains("!pom.xml");
    }

    @Test
    void composeRunsTheBuiltImageOnPinnedImagesWithThePortsTheServiceUses() {
        Map<String, Object> app = service("app");
        Map<String, Object> build = (Map<String, Object>) app.get("build");
        assertThat(Path.of(String.valueOf(build.get("context"))).resolve(String.valueOf(build.get("dockerfile"))))
                .exists();
        assertThat((String) app.get("image")).startsWith("image-edit-proxy:");
        services.forEach((name, s) -> {
            Map<String, Object> service = (Map<String, Object>) s;
            if (!service.containsKey("build")) {
                // Images we pull must not move under us; the one we build is ours.
                assertThat(String.valueOf(service.get("image"))).as(name + " image").matches(PINNED)
                        .doesNotEndWith(":latest");
            }
        });
        assertThat((String) service("postgres").get("image")).startsWith("postgres:17");

        Map<String, Object> env = (Map<String, Object>) app.get("environment");
        assertThat(String.valueOf(env.get("PORT"))).isEqualTo(String.valueOf(serverPort()));
        assertThat(String.valueOf(env.get("MANAGEMENT_PORT"))).isEqualTo(String.valueOf(managementPort()));
        assertThat(String.valueOf(env.get("SPRING_PROFILES_ACTIVE"))).contains("simulator");
        assertThat((List<String>) app.get("ports")).contains(serverPort() + ":" + serverPort(),
                managementPort() + ":" + managementPort(), env.get("SIMULATOR_PORT") + ":" + env.get("SIMULATOR_PORT"));
        assertThat(env.get("DB_HOST")).isEqualTo("postgres");
        assertThat(dockerfile).containsPattern("(?m)^EXPOSE .*\\b" + serverPort() + "\\b")
                .containsPattern("(?m)^EXPOSE .*\\b" + managementPort() + "\\b");
    }

    @Test
    void everyMountedFileExistsAndPrometheusAndGrafanaPointAtWhatWeShip() {
        List<String> missing = new ArrayList<>();
        services.forEach((name, s) -> {
            for (String volume : (List<String>) ((Map<String, Object>) s).getOrDefault("volumes", List.of())) {
                String source = volume.split(":")[0];
                if (source.startsWith(".") && !Files.exists(Path.of(source))) {
                    missing.add(name + ": " + source);
                }
            }
        });
        assertThat(missing).isEmpty();

        // Prometheus scrapes the app service on its management port and path, and loads the rules compose mounts.
        Map<String, Object> prometheus = OpsFiles.yaml(Path.of("deploy/prometheus/prometheus.yml"));
        Map<String, Object> job = ((List<Map<String, Object>>) prometheus.get("scrape_configs")).get(0);
        assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus");
        assertThat(job.get("job_name")).isEqualTo("image-edit-proxy"); // the alert on `up` names this job
        List<Map<String, Object>> targets = (List<Map<String, Object>>) job.get("static_configs");
        assertThat((List<String>) targets.get(0).get("targets")).containsExactly("app:" + managementPort());
        String rulesGlob = ((List<String>) prometheus.get("rule_files")).get(0);
        String rulesDir = rulesGlob.substring(0, rulesGlob.lastIndexOf('/'));
        assertThat(mountTarget("prometheus", "./deploy/prometheus/rules")).isEqualTo(rulesDir);
        assertThat(OpsFiles.list(OpsFiles.RULES, ".yml")).isNotEmpty();

        // Grafana's provider reads the directory where compose mounts our dashboards; its data source is our Prometheus.
        Map<String, Object> provider = ((List<Map<String, Object>>) OpsFiles.yaml(
                Path.of("deploy/grafana/provisioning/dashboards/image-edit-proxy.yml")).get("providers")).get(0);
        assertThat(mountTarget("grafana", "./deploy/grafana/dashboards"))
                .isEqualTo(((Map<String, Object>) provider.get("options")).get("path"));
        assertThat(mountTarget("grafana", "./deploy/grafana/provisioning")).isEqualTo("/etc/grafana/provisioning");
        Map<String, Object> datasource = ((List<Map<String, Object>>) OpsFiles.yaml(
                Path.of("deploy/grafana/provisioning/datasources/prometheus.yml")).get("datasources")).get(0);
        assertThat(datasource.get("url")).isEqualTo("http://prometheus:9090");
        assertThat((List<String>) service("prometheus").get("ports")).contains("9090:9090");
        assertThat((List<String>) service("grafana").get("ports")).contains("3000:3000");
    }

    @Test
    void readmeTellsHowToRunTheStack() {
        assertThat(OpsFiles.read(Path.of("README.md"))).contains("docker compose up").contains("localhost:3000");
    }

    private Map<String, Object> service(String name) {
        assertThat(services).containsKey(name);
        return (Map<String, Object>) services.get(name);
    }

    private String mountTarget(String service, String source) {
        for (String volume : (List<String>) service(service).get("volumes")) {
            String[] parts = volume.split(":");
            if (parts[0].equals(source)) {
                return parts[1];
            }
        }
        throw new AssertionError(service + " does not mount " + source);
    }

    /** server.port from application.yml: "${PORT:8080}" means 8080 unless PORT is set. */
    private static int serverPort() {
        Map<String, Object> yml = OpsFiles.yaml(Path.of("src/main/resources/application.yml"));
        return defaultPort("PORT", ((Map<String, Object>) yml.get("server")).get("port"));
    }

    /** management.server.port from application.yml: "${MANAGEMENT_PORT:8081}". */
    static int managementPort() {
        Map<String, Object> yml = OpsFiles.yaml(Path.of("src/main/resources/application.yml"));
        Map<String, Object> server = (Map<String, Object>) ((Map<String, Object>) yml.get("management")).get("server");
        return defaultPort("MANAGEMENT_PORT", server.get("port"));
    }

    private static int defaultPort(String variable, Object value) {
        String port = String.valueOf(value);
        Matcher m = Pattern.compile("\\$\\{" + variable + ":(\\d+)}|^(\\d+)$").matcher(port);
        assertThat(m.find()).as(variable + " " + port).isTrue();
        return Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2));
    }

    private static List<String> matches(String regex, String text) {
        List<String> found = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }
}
