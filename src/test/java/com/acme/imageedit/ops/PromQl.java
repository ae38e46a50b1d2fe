package com.acme.imageedit.ops;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the metric names a PromQL expression reads. Not a parser: it strips what can contain identifiers that are not
 * metrics (strings, label matchers, grouping label lists, range selectors, Grafana variables) and keeps identifiers
 * that are not functions (followed by "(") or keywords. Good enough for the expressions we ship, and strict: an
 * unknown identifier counts as a metric, so a typo fails the test rather than slipping through.
 */
final class PromQl {

    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan");
    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern VARIABLES = Pattern.compile("\\$\\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?}?");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![A-Za-z0-9_.])([A-Za-z_:][A-Za-z0-9_:]*)(\\s*\\()?");

    private PromQl() {
    }

    static Set<String> metricNames(String expression) {
        String e = STRINGS.matcher(expression).replaceAll(" ");
        e = MATCHERS.matcher(e).replaceAll(" ");
        e = GROUPING.matcher(e).replaceAll(" ");
        e = RANGES.matcher(e).replaceAll(" ");
        e = VARIABLES.matcher(e).replaceAll(" ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(e);
        while (m.find()) {
            String name = m.group(1);
            boolean function = m.group(2) != null;
            // A number's exponent (1e3) starts with a digit, so it never matches; "e" alone cannot be a metric here.
            if (!function && !KEYWORDS.contains(name.toLowerCase())) {
                names.add(name);
            }
        }
        return names;
    }
}
