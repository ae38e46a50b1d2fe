package com.acme.imageedit.ops;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped dashboards' structure: what Grafana needs to provision them and what an operator needs to read them. */
class DashboardsTest {

    @Test
    void everyDashboardHasAUniqueUidATitleAndPanelsWithAQueryAndAUnit() {
        List<Path> files = new ArrayList<>(OpsFiles.list(OpsFiles.DASHBOARDS, ".json"));
        assertThat(files).extracting(p -> p.getFileName().toString())
                .contains("spend.json", "latency.json", "upstream.json");
        Set<String> uids = new HashSet<>();
        Set<String> titles = new HashSet<>();
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            JsonNode d = OpsFiles.json(file);
            String uid = d.path("uid").asString();
            if (uid.isBlank() || uid.length() > 40 || !uids.add(uid)) {
                problems.add(file + ": uid '" + uid + "' is blank, longer than 40 or not unique");
            }
            if (d.path("title").asString().isBlank() || !titles.add(d.path("title").asString())) {
                problems.add(file + ": title blank or not unique");
            }
            if (!d.path("id").isMissingNode() && !d.path("id").isNull()) {
                problems.add(file + ": a numeric id makes provisioning clash; only uid may identify it");
            }
            if (!"utc".equals(d.path("timezone").asString())) {
                problems.add(file + ": timezone must be utc: budgets and GET /v1/usage count UTC days and months");
            }
            if (d.path("panels").isEmpty()) {
                problems.add(file + ": no panels");
            }
            Set<Integer> panelIds = new HashSet<>();
            for (JsonNode panel : d.path("panels")) {
                String where = file.getFileName() + " panel '" + panel.path("title").asString() + "'";
                if (panel.path("title").asString().isBlank()) {
                    problems.add(where + ": no title");
                }
                if (!panelIds.add(panel.path("id").asInt())) {
                    problems.add(where + ": duplicate panel id");
                }
                if (panel.path("fieldConfig").path("defaults").path("unit").asString().isBlank()) {
                    problems.add(where + ": no unit");
                }
                if (panel.path("type").asString().equals("stat")) {
                    for (JsonNode target : panel.path("targets")) {
                        if (!target.path("instant").asBoolean()) {
                            problems.add(where + ": a stat shows one number, so its query must be instant (now)");
                        }
                    }
                }
                if (panel.path("targets").isEmpty()) {
                    problems.add(where + ": no query");
                }
                for (JsonNode target : panel.path("targets")) {
                    if (target.path("expr").asString().isBlank() || PromQl.metricNames(target.path("expr").asString())
                            .isEmpty()) {
                        problems.add(where + " " + target.path("refId").asString() + ": no expression over a metric");
                    }
                    if (!target.path("datasource").path("uid").asString().equals("${datasource}")) {
                        problems.add(where + ": must use the dashboard's datasource variable");
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }
}
