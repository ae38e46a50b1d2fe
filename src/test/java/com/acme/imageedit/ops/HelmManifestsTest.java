package com.acme.imageedit.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static com.acme.imageedit.ops.RenderedChart.annotations;
import static com.acme.imageedit.ops.RenderedChart.list;
import static com.acme.imageedit.ops.RenderedChart.map;
import static com.acme.imageedit.ops.RenderedChart.name;
import static com.acme.imageedit.ops.RenderedChart.path;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Helm chart as Kubernetes would receive it, rendered by .ci/helm-check with each value set of
 * helm/image-edit-proxy/ci/ ({@link RenderedChart}): probes and monitoring on the management port, every setting a
 * deployment needs wired from the ConfigMap or a Secret (read from the service's {@link DeploymentSettings}), no
 * credential in a ConfigMap, the teams file mounted from a Secret, and the production extras (ingress, network policy,
 * autoscaling, helm test).
 */
@SuppressWarnings("unchecked")
class HelmManifestsTest {

    @ParameterizedTest
    @ValueSource(strings = {"default", "production", "chart-secrets"})
    void theDeploymentProbesTheManagementPortShutsDownGracefullyAndRunsLockedDown(String values) {
        RenderedChart chart = RenderedChart.of(values);
        Map<String, Object> podSpec = chart.podSpec();
        Map<String, Object> app = chart.app();

        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            assertThat(path(app, probe, "httpGet", "port")).as(probe).isEqualTo("management");
        }
        assertThat(path(app, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat(path(app, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
        assertThat(path(app, "startupProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        Map<String, Object> ports = new LinkedHashMap<>();
        list(app.get("ports")).forEach(p -> ports.put((String) p.get("name"), p.get("containerPort")));
        assertThat(ports).containsEntry("http", 8080).containsEntry("management", ContainerFilesTest.managementPort());
        assertThat(chart.configMapEnvironment()).containsEntry("PORT", "8080")
                .containsEntry("MANAGEMENT_PORT", String.valueOf(ContainerFilesTest.managementPort()));

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
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production", "chart-secrets"})
    void theApiServiceCarriesOnlyTheApiAndTheManagementServiceOnlyHealthAndMetrics(String values) {
        RenderedChart chart = RenderedChart.of(values);
        Map<String, Object> selector = map(path(chart.deployment(), "spec", "selector", "matchLabels"));
        List<Map<String, Object>> services = chart.all("Service");
        assertThat(services).hasSize(2);
        Map<String, Object> api = chart.named("Service", name(chart.deployment()));
        Map<String, Object> management = chart.named("Service", name(chart.deployment()) + "-management");
        assertThat(list(path(api, "spec", "ports"))).singleElement()
                .satisfies(p -> assertThat(p.get("targetPort")).isEqualTo("http"));
        assertThat(list(path(management, "spec", "ports"))).singleElement()
                .satisfies(p -> assertThat(p.get("targetPort")).isEqualTo("management"));
        assertThat(path(management, "spec", "type")).isEqualTo("ClusterIP");
        assertThat(map(path(api, "spec", "selector"))).isEqualTo(selector);
        assertThat(map(path(management, "spec", "selector"))).isEqualTo(selector);
        for (Map<String, Object> ingress : chart.all("Ingress")) {
            for (Map<String, Object> rule : list(path(ingress, "spec", "rules"))) {
                for (Map<String, Object> p : list(path(rule, "http", "paths"))) {
                    assertThat(path(p, "backend", "service", "name")).isEqualTo(name(api));
                    assertThat(path(p, "backend", "service", "port", "name")).isEqualTo("http");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production", "chart-secrets"})
    void everyDeploymentSettingIsWiredCredentialsFromSecretsTheRestFromTheConfigMap(String values) {
        RenderedChart chart = RenderedChart.of(values);
        Map<String, String> configMap = chart.configMapEnvironment();
        Map<String, Map<String, Object>> fromSecrets = new LinkedHashMap<>();
        for (Map<String, Object> env : list(chart.app().get("env"))) {
            assertThat(env).as(env.get("name") + " must come from a Secret, not a literal").doesNotContainKey("value");
            fromSecrets.put((String) env.get("name"), map(path(env, "valueFrom", "secretKeyRef")));
        }
        Map<String, Object> valuesFile = OpsFiles.yaml(Path.of("helm/image-edit-proxy/ci/" + values + "-values.yaml"));
        boolean publicBaseUrlGiven = valuesFile != null && valuesFile.get("config") instanceof Map<?, ?> config
                && config.containsKey("publicBaseUrl");

        List<DeploymentSettings.Setting> settings = DeploymentSettings.all();
        assertThat(settings).extracting(DeploymentSettings.Setting::property)
                .contains("therouter.api-key", "jobs.link-secret", "webhooks.secret-encryption-key", "teams.file",
                        "jobs.public-base-url", "therouter.base-url");
        for (DeploymentSettings.Setting setting : settings) {
            List<String> inConfigMap = setting.variables().stream().filter(configMap::containsKey).toList();
            List<String> inSecrets = setting.variables().stream().filter(fromSecrets::containsKey).toList();
            if (setting.secret()) {
                assertThat(inConfigMap).as(setting + " is a credential: never in the ConfigMap").isEmpty();
                assertThat(inSecrets).as(setting + " must come from a Secret").isNotEmpty();
            } else if (setting.property().equals("jobs.public-base-url") && !publicBaseUrlGiven) {
                // rendered only when given: an empty URI would not mean "take it from the request"
                assertThat(inConfigMap).as(setting + " is not given in " + values).isEmpty();
            } else if (setting.property().equals("teams.file") && values.equals("default")) {
                assertThat(inConfigMap).as("no teams in the default values, so no teams file").isEmpty();
            } else {
                assertThat(inConfigMap).as(setting + " must be in the ConfigMap").isNotEmpty();
                assertThat(inSecrets).as(setting + " is not a credential").isEmpty();
            }
        }

        List<Map<String, Object>> secrets = chart.all("Secret");
        String credentials = (String) fromSecrets.get("DB_PASSWORD").get("name");
        if (values.equals("production")) {
            // existingSecret: the chart must reference it and must not render credentials of its own.
            assertThat(secrets).isEmpty();
            assertThat(fromSecrets.values()).allSatisfy(ref -> assertThat(ref.get("name"))
                    .isEqualTo("image-edit-proxy-credentials"));
        } else {
            Map<String, Object> secret = chart.named("Secret", credentials);
            assertThat(map(secret.get("data"))).containsKeys(fromSecrets.values().stream()
                    .filter(ref -> !Boolean.TRUE.equals(ref.get("optional")))
                    .map(ref -> (String) ref.get("key")).toArray(String[]::new));
        }
        // only the link key (the service then keeps shared ones in PostgreSQL) and the earlier keys of a rotation may
        // be missing from a Secret
        assertThat(fromSecrets).allSatisfy((variable, ref) -> assertThat(Boolean.TRUE.equals(ref.get("optional")))
                .as(variable + " optional").isEqualTo(List.of("JOBS_LINK_SECRET", "JOBS_PREVIOUSLINKSECRETS",
                        "WEBHOOKS_PREVIOUSENCRYPTIONKEYS").contains(variable)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production", "chart-secrets"})
    void noCredentialIsInAnyConfigMap(String values) {
        RenderedChart chart = RenderedChart.of(values);
        List<String> secretVariables = DeploymentSettings.all().stream().filter(DeploymentSettings.Setting::secret)
                .flatMap(s -> s.variables().stream()).toList();
        for (Map<String, Object> configMap : chart.all("ConfigMap")) {
            Map<String, Object> data = map(configMap.get("data"));
            assertThat(data.keySet()).as(name(configMap)).doesNotContainAnyElementsOf(secretVariables)
                    .noneMatch(k -> k.contains("PASSWORD") || k.contains("API_KEY") || k.contains("SECRET"));
            // the value set with credentials given as values: none of them may show up anywhere in a ConfigMap
            assertThat(String.valueOf(data)).as(name(configMap)).doesNotContain("sentinel")
                    .doesNotContain("c2VudGluZWw");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"production", "chart-secrets"})
    void theTeamsFileIsMountedFromASecretWhereTeamsFilePointsAtIt(String values) {
        RenderedChart chart = RenderedChart.of(values);
        String teamsFile = chart.configMapEnvironment().get("TEAMS_FILE");
        assertThat(teamsFile).isNotBlank();
        Map<String, Object> mount = list(chart.app().get("volumeMounts")).stream()
                .filter(m -> teamsFile.startsWith(m.get("mountPath") + "/")).findFirst().orElseThrow();
        assertThat(mount.get("readOnly")).isEqualTo(true);
        Map<String, Object> volume = list(chart.podSpec().get("volumes")).stream()
                .filter(v -> v.get("name").equals(mount.get("name"))).findFirst().orElseThrow();
        Map<String, Object> item = list(path(volume, "secret", "items")).get(0);
        assertThat(mount.get("mountPath") + "/" + item.get("path")).isEqualTo(teamsFile);
        String secretName = (String) path(volume, "secret", "secretName");
        if (values.equals("production")) {
            assertThat(secretName).isEqualTo("image-edit-proxy-teams");
            assertThat(chart.all("Secret")).isEmpty();
        } else {
            Map<String, Object> secret = chart.named("Secret", secretName);
            Map<String, Object> file = (Map<String, Object>) new org.yaml.snakeyaml.Yaml()
                    .load((String) map(secret.get("stringData")).get(item.get("key")));
            assertThat(file).containsOnlyKeys("teams");
            assertThat(map(file.get("teams"))).containsOnlyKeys("admin-key-hashes", "definitions");
            assertThat(list(map(file.get("teams")).get("definitions")).get(0)).containsEntry("id", "marketing");
        }
    }

    @Test
    void productionValuesScaleProtectMonitorTheManagementPortAndShipDashboardsAndAlerts() throws Exception {
        RenderedChart chart = RenderedChart.of("production");
        Map<String, Object> deployment = chart.deployment();
        assertThat(map(deployment.get("spec"))).as("the HPA owns the replica count").doesNotContainKey("replicas");
        assertThat(path(chart.one("HorizontalPodAutoscaler"), "spec", "scaleTargetRef", "name"))
                .isEqualTo(name(deployment));
        assertThat(map(path(chart.one("PodDisruptionBudget"), "spec", "selector", "matchLabels")))
                .isEqualTo(map(path(deployment, "spec", "selector", "matchLabels")));

        Map<String, Object> monitor = chart.one("ServiceMonitor");
        assertThat(list(path(monitor, "spec", "endpoints")).get(0))
                .containsEntry("path", "/actuator/prometheus").containsEntry("port", "management");
        Map<String, Object> management = chart.named("Service", name(deployment) + "-management");
        assertThat(map(path(management, "metadata", "labels")))
                .containsAllEntriesOf(map(path(monitor, "spec", "selector", "matchLabels")));
        Map<String, Object> api = chart.named("Service", name(deployment));
        assertThat(map(path(api, "metadata", "labels"))).as("the ServiceMonitor must not select the API Service")
                .doesNotContainEntry("app.kubernetes.io/component", "management");

        List<String> shippedAlerts = new ArrayList<>();
        OpsFiles.list(OpsFiles.RULES, ".yml").forEach(f -> OpsFiles.ruleExpressions(f).keySet()
                .forEach(k -> shippedAlerts.add(k.substring(k.indexOf(' ') + 1))));
        List<String> ruleAlerts = new ArrayList<>();
        for (Map<String, Object> group : list(path(chart.one("PrometheusRule"), "spec", "groups"))) {
            list(group.get("rules")).forEach(r -> {
                ruleAlerts.add((String) r.get("alert"));
                // The runbook links point where the values say the runbooks are published.
                assertThat((String) map(r.get("annotations")).get("runbook_url")).isEqualTo(
                        "https://git.example.internal/platform/image-edit-proxy/-/blob/main/docs/runbooks.md#"
                                + ((String) r.get("alert")).toLowerCase(Locale.ROOT));
            });
        }
        assertThat(ruleAlerts).containsExactlyInAnyOrderElementsOf(shippedAlerts);

        List<Map<String, Object>> dashboards = chart.all("ConfigMap").stream()
                .filter(c -> "1".equals(map(path(c, "metadata", "labels")).get("grafana_dashboard"))).toList();
        List<Path> files = OpsFiles.list(OpsFiles.DASHBOARDS, ".json");
        assertThat(dashboards).hasSameSizeAs(files);
        for (Path file : files) {
            assertThat(dashboards).anySatisfy(c -> assertThat(map(c.get("data")))
                    .containsEntry(file.getFileName().toString(), Files.readString(file).stripTrailing()));
        }
    }

    @Test
    void productionIngressTerminatesTlsAndTheNetworkPolicyOpensOnlyWhatTheServiceUses() {
        RenderedChart chart = RenderedChart.of("production");
        Map<String, Object> ingress = chart.one("Ingress");
        assertThat(path(ingress, "spec", "ingressClassName")).isEqualTo("nginx");
        assertThat(list(path(ingress, "spec", "tls")).get(0)).containsEntry("secretName", "image-edit-tls");
        assertThat(annotations(ingress)).containsKey("nginx.ingress.kubernetes.io/proxy-body-size");

        Map<String, Object> policy = chart.one("NetworkPolicy");
        assertThat((List<String>) path(policy, "spec", "policyTypes")).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(map(path(policy, "spec", "podSelector", "matchLabels")))
                .isEqualTo(map(path(chart.deployment(), "spec", "selector", "matchLabels")));
        Map<Object, List<Map<String, Object>>> inbound = new LinkedHashMap<>();
        for (Map<String, Object> rule : list(path(policy, "spec", "ingress"))) {
            inbound.put(list(rule.get("ports")).get(0).get("port"), list(rule.get("from")));
        }
        assertThat(inbound).containsOnlyKeys("http", "management");
        assertThat(inbound.get("http").get(0)).containsKey("namespaceSelector"); // from the ingress controller only
        assertThat(path(inbound.get("management").get(0), "namespaceSelector", "matchLabels"))
                .isEqualTo(Map.of("kubernetes.io/metadata.name", "monitoring"));
        List<Object> outboundPorts = new ArrayList<>();
        for (Map<String, Object> rule : list(path(policy, "spec", "egress"))) {
            list(rule.get("ports")).forEach(p -> outboundPorts.add(p.get("port")));
        }
        assertThat(outboundPorts).containsExactlyInAnyOrder(53, 53, 5432, 443);
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production"})
    void helmTestWaitsForReadinessThenMakesOneApiCall(String values) {
        RenderedChart chart = RenderedChart.of(values);
        Map<String, Object> pod = chart.testHooks().stream().filter(d -> "Pod".equals(d.get("kind"))).findFirst()
                .orElseThrow(() -> new AssertionError("no helm test hook"));
        Map<String, Object> container = list(path(pod, "spec", "containers")).get(0);
        assertThat(container.get("image")).isEqualTo(path(chart.app(), "image"));
        String script = String.join("\n", (List<String>) container.get("args"));
        assertThat(script).contains("/actuator/health/readiness", "/v1/models");
        Map<String, Object> env = new LinkedHashMap<>();
        list(container.get("env")).forEach(e -> env.put((String) e.get("name"), e));
        assertThat(env).containsKeys("API_HOST", "MANAGEMENT_HOST");
        if (values.equals("production")) {
            assertThat(path((Map<String, Object>) env.get("API_KEY"), "valueFrom", "secretKeyRef", "name"))
                    .isEqualTo("image-edit-proxy-test-key");
        } else {
            assertThat(env).doesNotContainKey("API_KEY");
        }
    }
}
