package com.acme.imageedit.dispatch;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code EXPLAIN (ANALYZE, BUFFERS)} of the dispatcher's and the poller's claim statements, exactly as {@link JobClaims}
 * sends them (its constants; named parameters turned into {@code $1..$3} of a prepared statement), under PostgreSQL's
 * custom and generic plans (the driver reuses prepared statements, so after five executions the server may switch to
 * the generic one). Each runs in a transaction that is rolled back, so the claim changes nothing. For the benchmarks
 * (bench/work-in-flight.sh); not a test.
 */
public final class ClaimPlans {

    private ClaimPlans() {
    }

    /** A plan and whether it reads the jobs table sequentially. */
    public record Plan(String statement, String planCacheMode, String text, boolean seqScanOnJobs) {
    }

    public static Map<String, String> statements() {
        Map<String, String> statements = new LinkedHashMap<>();
        statements.put("claimForPoll", positional(JobClaims.CLAIM_FOR_POLL));
        statements.put("claimForSubmit", positional(JobClaims.CLAIM_FOR_SUBMIT));
        return statements;
    }

    /** Explains every claim with {@code limit} (the batch size) and a lease of two minutes, under both plan modes. */
    public static java.util.List<Plan> explainAll(Connection connection, int limit) throws SQLException {
        java.util.List<Plan> plans = new java.util.ArrayList<>();
        for (Map.Entry<String, String> statement : statements().entrySet()) {
            for (String mode : new String[] {"force_custom_plan", "force_generic_plan"}) {
                plans.add(explain(connection, statement.getKey(), statement.getValue(), mode, limit));
            }
        }
        return plans;
    }

    private static Plan explain(Connection connection, String name, String sql, String mode, int limit)
            throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        StringBuilder text = new StringBuilder();
        try (Statement statement = connection.createStatement()) {
            statement.execute("set local plan_cache_mode = " + mode);
            statement.execute("prepare bench_claim(text, bigint, integer) as " + sql);
            try (ResultSet plan = statement.executeQuery(
                    "explain (analyze, buffers) execute bench_claim('bench-explain', 120000, " + limit + ")")) {
                while (plan.next()) {
                    text.append(plan.getString(1)).append('\n');
                }
            }
        } finally {
            connection.rollback();
            try (Statement statement = connection.createStatement()) {
                statement.execute("deallocate bench_claim");
            } catch (SQLException notPrepared) {
                // the PREPARE itself failed; nothing to deallocate
            }
            connection.setAutoCommit(autoCommit);
        }
        String plan = text.toString();
        return new Plan(name, mode, plan, plan.matches("(?s).*Seq Scan on jobs\\b.*"));
    }

    static String positional(String named) {
        return named.replace(":worker", "$1").replace(":lease", "$2").replace(":limit", "$3");
    }
}
