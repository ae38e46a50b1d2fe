package com.acme.imageedit.ops;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.databind.JsonNode;

/**
 * One query of a shipped dashboard, and the PromQL Grafana would send for it: template variables replaced by what the
 * dashboard selects by default (a query variable set to "All" sends its {@code allValue}), and Grafana's interval
 * variables computed as Grafana computes them for the panel's time range.
 *
 * <p>Time range: a panel's {@code timeFrom} override ({@code now/d}, {@code now/M}: since the start of the UTC day or
 * month, the dashboards being in UTC) wins; other panels get the range the test looks at. {@code $__interval} is the
 * range over {@link #MAX_DATA_POINTS}, rounded as Grafana rounds it and at least the data source's scrape interval;
 * {@code $__rate_interval} is {@code max($__interval + scrape interval, 4 × scrape interval)}.
 */
record GrafanaQuery(String dashboard, String panel, String panelType, String refId, String expr, String legendFormat,
                    boolean instant, String timeFrom, Map<String, String> variables) {

    /** About a panel's width in pixels, which is what Grafana asks for. */
    static final int MAX_DATA_POINTS = 1000;

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z0-9_]+)(?::[a-z]+)?}|\\$([A-Za-z0-9_]+)");
    private static final Pattern LEGEND = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_]+)\\s*}}");

    static List<GrafanaQuery> of(Path file) {
        JsonNode dashboard = OpsFiles.json(file);
        Map<String, String> variables = new LinkedHashMap<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            String name = variable.path("name").asString();
            if ("query".equals(variable.path("type").asString())) {
                String current = variable.path("current").path("value").asString();
                if (!"$__all".equals(current) || !variable.path("includeAll").asBoolean()) {
                    throw new AssertionError(file + ": variable " + name + " should default to All");
                }
                variables.put(name, variable.path("allValue").asString(".*"));
            }
        }
        List<GrafanaQuery> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(new GrafanaQuery(file.getFileName().toString(), panel.path("title").asString(),
                        panel.path("type").asString(), target.path("refId").asString(), target.path("expr").asString(),
                        target.path("legendFormat").asString(""), target.path("instant").asBoolean(false),
                        panel.path("timeFrom").asString(""), variables));
            }
        }
        return queries;
    }

    /** The panel's time range ending at {@code now}, given the range the test looks at when it has no override. */
    Instant from(Instant now, Instant testFrom) {
        ZonedDateTime utc = now.atZone(ZoneOffset.UTC);
        return switch (timeFrom) {
            case "" -> testFrom;
            case "now/d" -> utc.truncatedTo(ChronoUnit.DAYS).toInstant();
            case "now/M" -> utc.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1).toInstant();
            default -> throw new AssertionError(this + ": timeFrom " + timeFrom + " is not one the test knows");
        };
    }

    /** Grafana's $__interval for a range: its share of the data points, rounded, at least the scrape interval. */
    static Duration interval(Instant from, Instant to, Duration scrapeInterval) {
        long raw = Duration.between(from, to).toMillis() / MAX_DATA_POINTS;
        Duration rounded = Duration.ofMillis(round(raw));
        return rounded.compareTo(scrapeInterval) < 0 ? scrapeInterval : rounded;
    }

    /** The PromQL Grafana sends for the range {@code from}..{@code to}. */
    String promql(Instant from, Instant to, Duration scrapeInterval) {
        Duration interval = interval(from, to, scrapeInterval);
        Duration rateInterval = max(interval.plus(scrapeInterval), scrapeInterval.multipliedBy(4));
        long rangeSeconds = Math.max(1, Duration.between(from, to).toSeconds());
        Map<String, String> values = new LinkedHashMap<>(variables);
        values.put("__interval", grafanaDuration(interval));
        values.put("__interval_ms", Long.toString(interval.toMillis()));
        values.put("__rate_interval", grafanaDuration(rateInterval));
        values.put("__range", rangeSeconds + "s");
        values.put("__range_s", Long.toString(rangeSeconds));
        values.put("__range_ms", Long.toString(rangeSeconds * 1000));
        Matcher m = VARIABLE.matcher(expr);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            String value = values.get(name);
            if (value == null) {
                throw new AssertionError(this + ": unknown variable $" + name);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The legend Grafana draws for a series with these labels; a {@code {{label}}} it lacks renders empty. */
    String legend(Map<String, String> labels) {
        if (legendFormat.isBlank()) {
            return labels.toString();
        }
        Matcher m = LEGEND.matcher(legendFormat);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(labels.getOrDefault(m.group(1), "")));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The labels the legend names that a series lacks. */
    List<String> missingLegendLabels(Map<String, String> labels) {
        List<String> missing = new ArrayList<>();
        Matcher m = LEGEND.matcher(legendFormat);
        while (m.find()) {
            if (!labels.containsKey(m.group(1))) {
                missing.add(m.group(1));
            }
        }
        return missing;
    }

    String where() {
        return dashboard + " / " + panel + " / " + refId;
    }

    @Override
    public String toString() {
        return where();
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Grafana's interval rounding (kbn.roundInterval), which keeps steps at readable values. */
    private static long round(long ms) {
        long[][] table = {{15, 10}, {35, 20}, {75, 50}, {150, 100}, {350, 200}, {750, 500}, {1_500, 1_000},
            {3_500, 2_000}, {7_500, 5_000}, {12_500, 10_000}, {17_500, 15_000}, {25_000, 20_000}, {45_000, 30_000},
            {90_000, 60_000}, {210_000, 120_000}, {450_000, 300_000}, {1_050_000, 600_000}, {2_100_000, 1_200_000},
            {5_400_000, 3_600_000}, {9_000_000, 7_200_000}, {16_200_000, 10_800_000}, {32_400_000, 21_600_000},
            {86_400_000, 43_200_000}};
        for (long[] row : table) {
            if (ms <= row[0]) {
                return row[1];
            }
        }
        return 86_400_000;
    }

    private static String grafanaDuration(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
