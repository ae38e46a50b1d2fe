package com.acme.imageedit.jobs;

import java.time.Duration;

import com.acme.imageedit.teams.TeamsProperties;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Each team's retention: its own {@code retention} block where it has one, the global {@code retention.*} otherwise.
 * Settled per job at acceptance (stored with the job), so that a change applies to new jobs only and never moves a
 * promise already made in a job object's {@code expires_at}.
 */
@Component
class Retentions {

    private final RetentionProperties global;
    private final TeamsProperties teams;

    Retentions(RetentionProperties global, TeamsProperties teams) {
        this.global = global;
        this.teams = teams;
        for (TeamsProperties.Team team : teams.definitions()) {
            Plan plan = of(team.id());
            if (plan.records().compareTo(plan.results()) < 0) {
                throw new IllegalStateException("team '" + team.id() + "': its records retention (" + plan.records()
                        + ") is shorter than its results retention (" + plan.results() + ")");
            }
        }
    }

    Plan of(String teamId) {
        TeamsProperties.Retention own = teams.team(teamId).map(TeamsProperties.Team::retention).orElse(null);
        if (own == null) {
            return new Plan(global.results(), global.inputs(), global.records());
        }
        return new Plan(own.results() == null ? global.results() : own.results(),
                own.inputs() == null ? global.inputs() : own.inputs(),
                own.records() == null ? global.records() : own.records());
    }

    /** The longest result retention of any team: by then every link signed today has expired. */
    Duration longestResults() {
        Duration longest = global.results();
        for (TeamsProperties.Team team : teams.definitions()) {
            longest = longest.compareTo(of(team.id()).results()) >= 0 ? longest : of(team.id()).results();
        }
        return longest;
    }

    /** One job's retention: results from acceptance; inputs (null = with the result) and the row from its end. */
    record Plan(Duration results, @Nullable Duration inputs, Duration records) {
    }
}
