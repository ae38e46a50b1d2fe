package com.acme.imageedit.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.yaml.snakeyaml.Yaml;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Helm chart as Kubernetes would receive it: the manifests .ci/helm-check renders with helm/.../ci/*-values.yaml
 * into target/helm/. Without them (a plain ./mvnw verify, no helm) tests that read them are skipped, except in CI,
 * where .ci/run renders them first and a missing render is a failure.
 */
@SuppressWarnings("unchecked")
record RenderedChart(List<Map<String, Object>> docs) {

    private static final Path RENDERED = Path.of("target", "helm");

    static RenderedChart of(String values) {
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
        return new RenderedChart(docs);
    }

    List<Map<String, Object>> all(String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    Map<String, Object> one(String kind) {
        List<Map<String, Object>> found = all(kind);
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    Map<String, Object> named(String kind, String name) {
        return all(kind).stream().filter(d -> name.equals(name(d))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " named " + name));
    }

    /** Not part of the release proper: `helm test` hooks. */
    List<Map<String, Object>> testHooks() {
        return docs.stream().filter(d -> "test".equals(annotations(d).get("helm.sh/hook"))).toList();
    }

    Map<String, Object> deployment() {
        return one("Deployment");
    }

    Map<String, Object> podSpec() {
        return map(path(deployment(), "spec", "template", "spec"));
    }

    Map<String, Object> app() {
        return list(podSpec().get("containers")).get(0);
    }

    /** The app container's ConfigMap settings (envFrom), as the container sees them. */
    Map<String, String> configMapEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> from : list(app().get("envFrom"))) {
            String name = (String) path(from, "configMapRef", "name");
            map(named("ConfigMap", name).get("data")).forEach((k, v) -> env.put(k, String.valueOf(v)));
        }
        return env;
    }

    static String name(Map<String, Object> doc) {
        return (String) path(doc, "metadata", "name");
    }

    static Map<String, Object> annotations(Map<String, Object> doc) {
        Object annotations = map(doc.get("metadata")).get("annotations");
        return annotations == null ? Map.of() : map(annotations);
    }

    static Object path(Map<String, Object> node, String... keys) {
        Object current = node;
        for (String key : keys) {
            assertThat(current).as("at " + key).isInstanceOf(Map.class);
            current = ((Map<String, Object>) current).get(key);
        }
        return current;
    }

    static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    static List<Map<String, Object>> list(Object o) {
        assertThat(o).isInstanceOf(List.class);
        return (List<Map<String, Object>>) o;
    }
}
