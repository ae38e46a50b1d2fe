package com.acme.imageedit.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The operations files the repository ships, read as their tools read them. Paths are relative to the project. */
final class OpsFiles {

    static final Path DASHBOARDS = Path.of("deploy", "grafana", "dashboards");
    static final Path RULES = Path.of("deploy", "prometheus", "rules");
    static final Path CATALOGUE = Path.of("docs", "metrics.md");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private OpsFiles() {
    }

    static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(Path file) {
        return JSON.readTree(read(file));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path file) {
        return (Map<String, Object>) new Yaml().load(read(file));
    }

    /** Every query of a dashboard, keyed by where it sits ("panel 'X' target A"), in file order. */
    static Map<String, String> dashboardQueries(Path file) {
        Map<String, String> queries = new LinkedHashMap<>();
        JsonNode dashboard = json(file);
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.put(file.getFileName() + " panel '" + panel.path("title").asString() + "' "
                        + target.path("refId").asString(), target.path("expr").asString());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            String query = variable.path("query").isObject() ? variable.path("query").path("query").asString()
                    : variable.path("query").asString();
            if ("query".equals(variable.path("type").asString())) {
                // label_values(metric, label): only the metric is a metric.
                queries.put(file.getFileName() + " variable " + variable.path("name").asString(),
                        query.replaceAll("^label_values\\(\\s*([^,]+),.*\\)$", "$1"));
            }
        }
        return queries;
    }

    /** Every alert/recording expression of a rules file, keyed by rule name. */
    @SuppressWarnings("unchecked")
    static Map<String, String> ruleExpressions(Path file) {
        Map<String, String> expressions = new LinkedHashMap<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) yaml(file).get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                Object name = rule.containsKey("alert") ? rule.get("alert") : rule.get("record");
                expressions.put(file.getFileName() + " " + name, String.valueOf(rule.get("expr")));
            }
        }
        return expressions;
    }

    /** The rows of docs/metrics.md's table under a "## heading": metric name → tags. */
    static Map<String, List<String>> catalogue(String heading) {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        boolean inSection = false;
        for (String line : read(CATALOGUE).split("\n")) {
            if (line.startsWith("## ")) {
                inSection = line.substring(3).strip().equalsIgnoreCase(heading);
                continue;
            }
            if (inSection && line.startsWith("| `")) {
                String[] cells = line.split("\\|");
                String name = cells[1].strip().replace("`", "");
                List<String> tags = new ArrayList<>();
                for (String tag : cells[4].split(",")) {
                    String t = tag.strip();
                    if (!t.isEmpty() && !t.equals("—") && !t.equals("-")) {
                        tags.add(t);
                    }
                }
                rows.put(name, tags);
            }
        }
        return rows;
    }

    /** The Micrometer name column of a section of docs/metrics.md, by Prometheus name. */
    static Map<String, String> micrometerNames(String heading) {
        Map<String, String> names = new LinkedHashMap<>();
        boolean inSection = false;
        for (String line : read(CATALOGUE).split("\n")) {
            if (line.startsWith("## ")) {
                inSection = line.substring(3).strip().equalsIgnoreCase(heading);
                continue;
            }
            if (inSection && line.startsWith("| `")) {
                String[] cells = line.split("\\|");
                // "`imageedit.spend` (base unit `usd`)": the name is the first quoted word.
                names.put(cells[1].strip().replace("`", ""), cells[2].strip().replaceAll("^`([^`]+)`.*$", "$1"));
            }
        }
        return names;
    }
}
