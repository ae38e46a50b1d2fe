package com.acme.imageedit.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import com.acme.imageedit.bench.ServiceProcess;
import com.acme.imageedit.dispatch.ClaimPlans;
import org.flywaydb.core.Flyway;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

/**
 * Issue #8 benchmark 5 (bench/work-in-flight.sh): one packaged service process ({@code java -jar}) with N jobs
 * {@code in_progress}, all overdue by different amounts, next to M finished jobs, and a shared upstream budget of R
 * requests/s. The simulator runs here, in the driver's JVM (so its job map and poll log are not in the measured heap),
 * and answers every seeded job "in_progress" (they were submitted to it with {@code [sim:slow]}, which never finishes).
 * Measured from the simulator's poll log: polls per second against R, seconds under 95% of R, and the order of polls
 * against each job's overdue rank; from the service: heap after GC ({@code -Xlog:gc}, and a forced GC at the end). The
 * claim statements' plans are explained at this table size before and after the runs.
 *
 * <p>Args: postgresPort jar outDir [inFlight=50000] [finished=1000000] [rates=100,200] [seconds=120] [burst=2]
 * [pollLoops=1, or a list such as 1,2: each rate is run with each].
 */
public final class WorkInFlightBench {

    private static final String TEAM = "bench";
    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    private WorkInFlightBench() {
    }

    public static void run(String[] args) throws Exception {
        int postgresPort = Integer.parseInt(args[0]);
        Path jar = Path.of(args[1]);
        Path out = Path.of(args[2]);
        int inFlight = args.length > 3 ? Integer.parseInt(args[3]) : 50_000;
        int finished = args.length > 4 ? Integer.parseInt(args[4]) : 1_000_000;
        List<Integer> rates = Arrays.stream((args.length > 5 ? args[5] : "100,200").split(","))
                .map(Integer::parseInt).toList();
        int seconds = args.length > 6 ? Integer.parseInt(args[6]) : 120;
        int burst = args.length > 7 ? Integer.parseInt(args[7]) : 2;
        List<Integer> loopCounts = Arrays.stream((args.length > 8 ? args[8] : "1").split(","))
                .map(Integer::parseInt).toList();
        Files.createDirectories(out);
        String jdbc = "jdbc:postgresql://127.0.0.1:" + postgresPort + "/imageedit";
        System.out.printf("WIF in-flight=%d finished=%d rates=%s seconds=%d burst=%d%n", inFlight, finished, rates,
                seconds, burst);
        Flyway.configure().dataSource(jdbc, "postgres", "postgres").load().migrate();

        try (TheRouterSimulator simulator = TheRouterSimulator.start(SimulatorProperties.withTimeScale(1.0));
             Connection db = DriverManager.getConnection(jdbc, "postgres", "postgres")) {
            long t = System.nanoTime();
            Map<String, Integer> rankOf = seedInFlight(db, simulator, inFlight);
            System.out.printf("WIF seeded %d in-flight jobs in %.1f s%n", inFlight, (System.nanoTime() - t) / 1e9);
            t = System.nanoTime();
            seedFinished(db, finished);
            System.out.printf("WIF seeded %d finished jobs and analysed in %.1f s%n", finished,
                    (System.nanoTime() - t) / 1e9);
            printTableSize(db);
            writePlans(db, out.resolve("claim-plans-before.txt"), "before the runs");

            List<String> rows = new ArrayList<>();
            for (int rate : rates) {
                for (int loops : loopCounts) {
                    rows.add(measure(db, simulator, rankOf, jar, out, postgresPort, rate, seconds, burst, loops));
                }
            }
            writePlans(db, out.resolve("claim-plans-after.txt"), "after the runs");
            System.out.println();
            System.out.println("| R (req/s) | burst | poll loops | measured s | polls | polls/s | of R | seconds < 95% R | lowest second"
                    + " | polled jobs in the top-K overdue | max / p99 rank displacement | heap after GC, max (log) MB"
                    + " | heap after forced GC at end MB | GCs |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            rows.forEach(System.out::println);
        }
        System.exit(0);
    }

    /**
     * Submits {@code n} never-finishing jobs to the simulator and stores them as RUNNING jobs of the proxy, each with a
     * random overdue rank (0 = most overdue), kept in {@code metadata.bench_rank}.
     */
    private static Map<String, Integer> seedInFlight(Connection db, TheRouterSimulator simulator, int n)
            throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("insert into teams (id, name) values ('" + TEAM + "', 'Benchmark') on conflict do nothing");
            s.execute("delete from jobs where id like 'img_wif%'");
        }
        WebClient client = WebClient.builder().baseUrl(simulator.baseUrl().toString())
                .defaultHeader("Authorization", "Bearer bench-upstream-key").build();
        List<String> upstreamIds = Flux.range(0, n)
                .flatMapSequential(i -> client.post().uri("/v1/images/generations?async=true")
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(Map.of("model", "qwen/qwen-image", "prompt", "[sim:slow] in flight " + i))
                        .retrieve().bodyToMono(JSON).map(job -> (String) job.get("id")), 32)
                .collectList().block(Duration.ofMinutes(10));
        List<Integer> ranks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ranks.add(i);
        }
        Collections.shuffle(ranks, new Random(42));
        String[] ids = new String[n];
        Integer[] rankArray = new Integer[n];
        Map<String, Integer> rankOf = new HashMap<>();
        for (int i = 0; i < n; i++) {
            ids[i] = upstreamIds.get(i);
            rankArray[i] = ranks.get(i);
            rankOf.put(ids[i], ranks.get(i));
        }
        try (PreparedStatement insert = db.prepareStatement("""
                insert into jobs (id, team_id, model, prompt, size, metadata, price_usd, status, version,
                                  next_attempt_at, submit_attempts, submit_sent_at, submitted_by, poll_count,
                                  upstream_id, upstream_status, created_at, deadline_at, submitted_at, operation)
                select 'img_wif' || lpad(ord::text, 8, '0'), ?, 'qwen/qwen-image-edit',
                       'in flight job ' || ord || ': turn this scene into a watercolor painting', '1024x1024',
                       jsonb_build_object('bench_rank', rank::text), 0.048, 'RUNNING', 2,
                       now(), 1, now() - interval '2 hours', 'bench-seed', 0,
                       upstream, 'in_progress', now() - interval '2 hours', now() + interval '1 day',
                       now() - interval '2 hours', 'EDIT'
                from unnest(?::text[], ?::int[]) with ordinality as u(upstream, rank, ord)""")) {
            insert.setString(1, TEAM);
            insert.setArray(2, db.createArrayOf("text", ids));
            insert.setArray(3, db.createArrayOf("integer", rankArray));
            insert.executeUpdate();
        }
        return rankOf;
    }

    /** Finished jobs with realistic columns, in one statement; then VACUUM ANALYZE, as autovacuum would. */
    private static void seedFinished(Connection db, int n) throws SQLException {
        try (Statement s = db.createStatement()) {
            ResultSet count = s.executeQuery("select count(*) from jobs where id like 'img_done%'");
            count.next();
            if (count.getLong(1) != n) {
                s.execute("delete from jobs where id like 'img_done%'");
                s.execute("""
                        insert into jobs (id, team_id, model, prompt, size, seed, metadata, price_usd, status, version,
                                          next_attempt_at, submit_attempts, submit_sent_at, submitted_by, poll_count,
                                          upstream_id, upstream_status, error_code, error_type, error_message,
                                          created_at, deadline_at, submitted_at, finished_at, last_poll_at,
                                          charged_usd, operation)
                        select 'img_done' || lpad(g::text, 8, '0'), '%s', 'qwen/qwen-image-edit',
                               'finished job ' || g || ': turn this scene into a watercolor painting', '1024x1024',
                               g %% 9999, case when g %% 5 = 0 then jsonb_build_object('ticket', 'T-' || g)
                                              else '{}'::jsonb end,
                               0.048, st, 5, created + interval '40 seconds', 1, created + interval '1 second',
                               'old-worker', 5 + g %% 20, 'up_done_' || g, lower(st),
                               case when st = 'FAILED' then 'upstream_failed'
                                    when st = 'EXPIRED' then 'upstream_expired'
                                    when st = 'CANCELLED' then 'cancelled_by_client' end,
                               case when st <> 'SUCCEEDED' then 'upstream_error' end,
                               case when st <> 'SUCCEEDED' then 'TheRouter reported the job ' || lower(st) end,
                               created, created + interval '15 minutes', created + interval '1 second',
                               created + interval '95 seconds', created + interval '90 seconds',
                               case when st = 'SUCCEEDED' then 0.048 else 0 end, 'EDIT'
                        from (select g, now() - interval '40 days' + g * interval '3 seconds' as created,
                                     case when g %% 20 < 17 then 'SUCCEEDED' when g %% 20 < 19 then 'FAILED'
                                          when g %% 40 = 19 then 'EXPIRED' else 'CANCELLED' end as st
                              from generate_series(1, %d) g) f""".formatted(TEAM, n));
            }
            s.execute("vacuum analyze jobs");
        }
    }

    private static void printTableSize(Connection db) throws SQLException {
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("""
                     select status, count(*) from jobs group by status order by status""")) {
            StringBuilder line = new StringBuilder("WIF jobs by status:");
            while (r.next()) {
                line.append(' ').append(r.getString(1)).append('=').append(r.getLong(2));
            }
            System.out.println(line);
        }
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("""
                     select pg_size_pretty(pg_relation_size('jobs')), pg_size_pretty(pg_indexes_size('jobs')),
                            pg_size_pretty(pg_relation_size('jobs_running_due')),
                            pg_size_pretty(pg_relation_size('jobs_queued_due'))""")) {
            r.next();
            System.out.printf("WIF jobs table %s, its indexes %s; jobs_running_due %s, jobs_queued_due %s%n",
                    r.getString(1), r.getString(2), r.getString(3), r.getString(4));
        }
    }

    private static void writePlans(Connection db, Path file, String when) throws SQLException, IOException {
        StringBuilder text = new StringBuilder();
        for (ClaimPlans.Plan plan : ClaimPlans.explainAll(db, 16)) {
            text.append("-- ").append(plan.statement()).append(", plan_cache_mode=").append(plan.planCacheMode())
                    .append(", ").append(when).append('\n').append(plan.text()).append('\n');
            System.out.printf("WIF plan %s %s %s: %s%n", plan.statement(), plan.planCacheMode(), when,
                    plan.seqScanOnJobs() ? "SEQ SCAN ON jobs" : "index only (no Seq Scan on jobs)");
        }
        Files.writeString(file, text);
    }

    /** Sequential scans of jobs, rows they read, index scans of jobs: from pg_stat_user_tables. */
    private static long[] jobsScans(Connection db) throws SQLException {
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("select seq_scan, seq_tup_read, idx_scan from pg_stat_user_tables where relname = 'jobs'")) {
            r.next();
            return new long[] {r.getLong(1), r.getLong(2), r.getLong(3)};
        }
    }

    private static double cpuSeconds(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(d -> d.toNanos() / 1e9)
                .orElse(0.0);
    }

    /**
     * Our PostgreSQL server (the postmaster started with {@code -p port}) and its live children: background processes
     * and backends (the service's pooled backends live the whole run).
     */
    static double postgresCpuSeconds(int port) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.endsWith("/postgres")).orElse(false)
                        && String.join(" ", p.info().arguments().orElse(new String[0])).contains("-p " + port))
                .flatMap(p -> java.util.stream.Stream.concat(java.util.stream.Stream.of(p), p.descendants()))
                .mapToDouble(p -> p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0)).sum();
    }

    private static String measure(Connection db, TheRouterSimulator simulator, Map<String, Integer> rankOf, Path jar,
                                  Path out, int postgresPort, int rate, int seconds, int burst, int loops)
            throws Exception {
        int n = rankOf.size();
        // every in-flight job overdue by a different amount: rank 0 by about n/10 s + 1 s, the last by 1 s
        try (Statement s = db.createStatement()) {
            s.executeUpdate("""
                    update jobs set next_attempt_at = now() - interval '1 second'
                               - (%d - (metadata->>'bench_rank')::int) * interval '100 milliseconds',
                           poll_count = 0, last_poll_at = null, leased_by = null, lease_until = null,
                           status = 'RUNNING', version = 2
                    where id like 'img_wif%%'""".formatted(n - 1));
            s.execute("vacuum analyze jobs");
        }
        List<String> args = List.of(
                "--therouter.base-url=" + simulator.baseUrl(),
                "--therouter.api-key=bench-upstream-key",
                "--teams.definitions[0].id=" + TEAM,
                "--teams.definitions[0].name=Benchmark",
                "--teams.definitions[0].key-hashes[0]=" + ServiceProcess.sha256("bench-key"),
                "--jobs.link-secret=bench-link-secret-0123456789abcdefghij",
                "--dispatch.budget.requests-per-second=" + rate,
                "--dispatch.budget.burst=" + burst,
                // 1: the service as shipped; other values only for a branch that adds dispatch.poll-loops
                "--dispatch.poll-loops=" + loops,
                // the per-replica cap of polls (50/s by default) would bind first on one instance; the account
                // budget under test is dispatch.budget
                "--resilience4j.ratelimiter.instances.therouter-poll.limit-for-period=100000");
        Instant launched = Instant.now();
        Instant measuredUntil;
        long forcedGcHeap;
        long[] gcLog;
        long[] scansBefore;
        double serviceCpu;
        double postgresCpu;
        double driverCpu;
        long pollsDuringCpu;
        try (ServiceProcess service = ServiceProcess.start(jar, out, "service-r" + rate + "-loops" + loops, postgresPort, List.of(),
                args)) {
            System.out.printf("WIF R=%d service pid %d ready after %.1f s%n", rate, service.pid(),
                    Duration.between(launched, Instant.now()).toMillis() / 1000.0);
            scansBefore = jobsScans(db);
            long pollsBefore = simulator.stats().polls();
            double serviceCpu0 = cpuSeconds(service.pid());
            double postgresCpu0 = postgresCpuSeconds(postgresPort);
            double driverCpu0 = cpuSeconds(ProcessHandle.current().pid());
            Thread.sleep(seconds * 1000L);
            measuredUntil = Instant.now();
            serviceCpu = cpuSeconds(service.pid()) - serviceCpu0;
            postgresCpu = postgresCpuSeconds(postgresPort) - postgresCpu0;
            driverCpu = cpuSeconds(ProcessHandle.current().pid()) - driverCpu0;
            pollsDuringCpu = simulator.stats().polls() - pollsBefore;
            forcedGcHeap = service.heapAfterForcedGc();
            gcLog = service.heapAfterGcFromLog();
        }
        long[] scansAfter = jobsScans(db);
        System.out.printf("WIF R=%d loops=" + loops + " CPU per poll: service %.2f ms, PostgreSQL %.2f ms, driver+simulator %.2f ms "
                        + "(%d polls; %.0f%% of one core for the service, %.0f%% for PostgreSQL); "
                        + "on jobs meanwhile: %d sequential scans reading %d rows, %d index scans%n",
                rate, 1000 * serviceCpu / pollsDuringCpu, 1000 * postgresCpu / pollsDuringCpu,
                1000 * driverCpu / pollsDuringCpu, pollsDuringCpu, 100 * serviceCpu / seconds,
                100 * postgresCpu / seconds, scansAfter[0] - scansBefore[0], scansAfter[1] - scansBefore[1],
                scansAfter[2] - scansBefore[2]);
        List<PollArrival> polls = simulator.pollArrivals().stream()
                .filter(p -> p.at().isAfter(launched) && p.at().isBefore(measuredUntil)).toList();
        if (polls.isEmpty()) {
            throw new IllegalStateException("no polls at R=" + rate);
        }
        // pace: one-second buckets from 5 s after the first poll (start-up and JIT warm-up) to the end
        Instant first = polls.get(0).at();
        Instant from = first.plusSeconds(5);
        int buckets = (int) (Duration.between(from, measuredUntil).toMillis() / 1000);
        int[] perSecond = new int[buckets];
        for (PollArrival p : polls) {
            long ms = Duration.between(from, p.at()).toMillis();
            if (ms >= 0 && ms / 1000 < buckets) {
                perSecond[(int) (ms / 1000)]++;
            }
        }
        long measuredPolls = Arrays.stream(perSecond).sum();
        double perSecondMean = (double) measuredPolls / buckets;
        long low = Arrays.stream(perSecond).filter(c -> c < 0.95 * rate).count();
        int lowest = Arrays.stream(perSecond).min().orElse(0);
        StringBuilder csv = new StringBuilder("second,polls\n");
        for (int i = 0; i < buckets; i++) {
            csv.append(i).append(',').append(perSecond[i]).append('\n');
        }
        Files.writeString(out.resolve("polls-per-second-r" + rate + "-loops" + loops + ".csv"), csv);

        // order: the k-th distinct job polled should be the k-th most overdue
        List<Integer> polledRanks = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        long repolls = 0;
        for (PollArrival p : polls) {
            Integer rank = rankOf.get(p.upstreamId());
            if (rank == null) {
                throw new IllegalStateException("poll of an unknown id " + p.upstreamId());
            }
            if (seen.add(p.upstreamId())) {
                polledRanks.add(rank);
            } else {
                repolls++;
            }
        }
        int k = polledRanks.size();
        long inTopK = polledRanks.stream().filter(r -> r < k).count();
        int[] displacement = new int[k];
        for (int i = 0; i < k; i++) {
            displacement[i] = Math.abs(polledRanks.get(i) - i);
        }
        Arrays.sort(displacement);
        int maxDisplacement = displacement[k - 1];
        int p99Displacement = displacement[(int) Math.ceil(0.99 * k) - 1];
        long ended;
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("select count(*) from jobs where id like 'img_wif%' and status <> 'RUNNING'")) {
            r.next();
            ended = r.getLong(1);
        }
        System.out.printf("WIF R=%d loops=" + loops + ": %d polls in %d s = %.1f/s (%.3f of R), %d seconds under 95%% of R, lowest %d; "
                        + "%d distinct jobs polled, %d of them among the %d most overdue, %d polled twice, "
                        + "displacement max %d p99 %d; heap after GC max %d MB (last %d MB, %d GCs), after forced GC %.1f MB;"
                        + " in-flight jobs that ended: %d%n",
                rate, measuredPolls, buckets, perSecondMean, perSecondMean / rate, low, lowest, k, inTopK, k, repolls,
                maxDisplacement, p99Displacement, gcLog[0], gcLog[1], gcLog[2], forcedGcHeap / 1048576.0, ended);
        return String.format("| %d | %d | %d | %d | %d | %.1f | %.3f | %d of %d | %d | %d of %d | %d / %d | %d | %.0f | %d |",
                rate, burst, loops, buckets, measuredPolls, perSecondMean, perSecondMean / rate, low, buckets, lowest, inTopK, k,
                maxDisplacement, p99Displacement, gcLog[0], forcedGcHeap / 1048576.0, gcLog[2]);
    }
}
