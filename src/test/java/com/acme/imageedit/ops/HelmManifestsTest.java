package com.acme.imageedit.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Helm chart as Kubernetes would receive it: the manifests .ci/helm-check renders with helm/.../ci/*-values.yaml
 * into target/helm/. Without them (a plain ./mvnw verify, no helm) the test is skipped, except in CI, where
 * .ci/run renders them first and a missing render is a failure.
 */
@SuppressWarnings("unchecked")
class HelmManifestsTest {

    private static final Path RENDERED = Path.of("target", "helm");

    @ParameterizedTest
    @ValueSource(strings = {"default", "production"})
    void theDeploymentProbesShutsDownGracefullyAndRunsLockedDown(String values) {
        List<Map<String, Object>> docs = render(values);
        Map<String, Object> pod = map(map(one(docs, "Deployment").get("spec")).get("template"));
        Map<String, Object> podSpec = map(pod.get("spec"));
        Map<String, Object> app = list(podSpec.get("containers")).get(0);

        assertThat(path(app, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat(path(app, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
        assertThat(path(app, "startupProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat(list(app.get("ports"))).anySatisfy(p -> {
            assertThat(p.get("name")).isEqualTo("http");
            assertThat(p.get("containerPort")).isEqualTo(8080);
        });

        List<String> preStop = (List<String>) path(app, "lifecycle", "preStop", "exec", "command");
        int preStopSeconds = Integer.parseInt(preStop.get(preStop.size() - 1));
        // Spring's shutdown phase (spring.lifecycle.timeout-per-shutdown-phase) is 30 s after the preStop pause.
        assertThat((Integer) podSpec.get("terminationGracePeriodSeconds")).isGreaterThanOrEqualTo(preStopSeconds + 30);

        assertThat(path(podSpec, "securityContext", "runAsNonRoot")).isEqualTo(true);
        assertThat((Integer) path(podSpec, "securityContext", "runAsUser")).isPositive();
        assertThat(path(app, "securityContext", "readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(path(app, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
        assertThat((List<String>) path(app, "securityContext", "capabilities", "drop")).contains("ALL");
        assertThat(podSpec.get("automountServiceAccountToken")).isEqualTo(false);
        // A read-only root needs a writable /tmp for multipart spill files.
        Map<String, Object> tmpMount = list(app.get("volumeMounts")).stream()
                .filter(m -> "/tmp".equals(m.get("mountPath"))).findFirst().orElseThrow();
        assertThat(list(podSpec.get("volumes"))).anySatisfy(v -> {
            assertThat(v.get("name")).isEqualTo(tmpMount.get("name"));
            assertThat(v).containsKey("emptyDir");
        });
        assertThat(path(app, "resources", "requests", "cpu")).isNotNull();
        assertThat(path(app, "resources", "requests", "memory")).isNotNull();
        assertThat(path(app, "resources", "limits", "memory")).isNotNull();

        Map<String, Object> service = one(docs, "Service");
        assertThat(list(path(service, "spec", "ports")).get(0).get("targetPort")).isEqualTo("http");
        assertThat(map(path(service, "spec", "selector")))
                .isEqualTo(map(path(one(docs, "Deployment"), "spec", "selector", "matchLabels")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production"})
    void credentialsComeFromASecretAndConfigurationFromAConfigMap(String values) {
        List<Map<String, Object>> docs = render(values);
        Map<String, Object> app = list(path(one(docs, "Deployment"), "spec", "template", "spec", "containers")).get(0);
        Map<String, Map<String, Object>> secretRefs = new java.util.LinkedHashMap<>();
        for (Map<String, Object> env : list(app.get("env"))) {
            assertThat(env).as(env.get("name") + " must come from a Secret, not a literal").doesNotContainKey("value");
            secretRefs.put((String) env.get("name"), map(path(env, "valueFrom", "secretKeyRef")));
        }
        assertThat(secretRefs).containsKeys("DB_PASSWORD", "THEROUTER_API_KEY");

        List<Map<String, Object>> secrets = all(docs, "Secret");
        if (values.equals("production")) {
            // existingSecret: the chart must reference it and must not render credentials of its own.
            assertThat(secrets).isEmpty();
            assertThat(secretRefs.values()).allSatisfy(ref -> assertThat(ref.get("name"))
                    .isEqualTo("image-edit-proxy-credentials"));
        } else {
            Map<String, Object> secret = secrets.stream().filter(s -> Objects.equals(name(s),
                    secretRefs.get("DB_PASSWORD").get("name"))).findFirst().orElseThrow();
            assertThat(map(secret.get("data"))).containsKeys(secretRefs.values().stream()
                    .map(ref -> (String) ref.get("key")).toArray(String[]::new));
        }

        String configMapName = (String) path(list(app.get("envFrom")).get(0), "configMapRef", "name");
        Map<String, Object> config = map(all(docs, "ConfigMap").stream()
                .filter(c -> configMapName.equals(name(c))).findFirst().orElseThrow().get("data"));
        assertThat(config).containsKeys("DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "THEROUTER_BASE_URL",
                "LOGGING_STRUCTURED_FORMAT_CONSOLE");
        assertThat(config.keySet()).noneMatch(k -> k.contains("PASSWORD") || k.contains("API_KEY"));
    }

    @Test
    void productionValuesScaleProtectMonitorAndShipDashboardsAndAlerts() throws Exception {
        List<Map<String, Object>> docs = render("production");
        Map<String, Object> deployment = one(docs, "Deployment");
        assertThat(map(deployment.get("spec"))).as("the HPA owns the replica count").doesNotContainKey("replicas");
        assertThat(path(one(docs, "HorizontalPodAutoscaler"), "spec", "scaleTargetRef", "name"))
                .isEqualTo(name(deployment));
        assertThat(map(path(one(docs, "PodDisruptionBudget"), "spec", "selector", "matchLabels")))
                .isEqualTo(map(path(deployment, "spec", "selector", "matchLabels")));
        assertThat(list(path(one(docs, "ServiceMonitor"), "spec", "endpoints")).get(0))
                .containsEntry("path", "/actuator/prometheus").containsEntry("port", "http");

        List<String> shippedAlerts = new ArrayList<>();
        OpsFiles.list(OpsFiles.RULES, ".yml").forEach(f -> OpsFiles.ruleExpressions(f).keySet()
                .forEach(k -> shippedAlerts.add(k.substring(k.indexOf(' ') + 1))));
        List<String> ruleAlerts = new ArrayList<>();
        for (Map<String, Object> group : list(path(one(docs, "PrometheusRule"), "spec", "groups"))) {
            list(group.get("rules")).forEach(r -> {
                ruleAlerts.add((String) r.get("alert"));
                // The runbook links point where the values say the runbooks are published.
                assertThat((String) map(r.get("annotations")).get("runbook_url")).isEqualTo(
                        "https://git.example.internal/platform/image-edit-proxy/-/blob/main/docs/runbooks.md#"
                                + ((String) r.get("alert")).toLowerCase(java.util.Locale.ROOT));
            });
        }
        assertThat(ruleAlerts).containsExactlyInAnyOrderElementsOf(shippedAlerts);

        List<Map<String, Object>> dashboards = all(docs, "ConfigMap").stream()
                .filter(c -> "1".equals(map(path(c, "metadata", "labels")).get("grafana_dashboard"))).toList();
        List<Path> files = OpsFiles.list(OpsFiles.DASHBOARDS, ".json");
        assertThat(dashboards).hasSameSizeAs(files);
        for (Path file : files) {
            assertThat(dashboards).anySatisfy(c -> assertThat(map(c.get("data")))
                    .containsEntry(file.getFileName().toString(), Files.readString(file).stripTrailing()));
        }
    }

    private static List<Map<String, Object>> render(String values) {
        Path file = RENDERED.resolve(values + ".yaml");
        if (!Files.exists(file)) {
            Assumptions.assumeTrue("true".equals(System.getenv("CI")),
                    file + " not rendered: run .ci/helm-check first (CI does)");
            throw new AssertionError(file + " missing: .ci/run must run .ci/helm-check before the tests");
        }
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(OpsFiles.read(file))) {
            if (doc != null) {
                docs.add((Map<String, Object>) doc);
            }
        }
        return docs;
    }

    private static List<Map<String, Object>> all(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    private static Map<String, Object> one(List<Map<String, Object>> docs, String kind) {
        List<Map<String, Object>> found = all(docs, kind);
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    private static String name(Map<String, Object> doc) {
        return (String) path(doc, "metadata", "name");
    }

    private static Object path(Map<String, Object> node, String... keys) {
        Object current = node;
        for (String key : keys) {
            assertThat(current).as("at " + key).isInstanceOf(Map.class);
            current = ((Map<String, Object>) current).get(key);
        }
        return current;
    }

    private static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    private static List<Map<String, Object>> list(Object o) {
        assertThat(o).isInstanceOf(List.class);
        return (List<Map<String, Object>>) o;
    }
}
