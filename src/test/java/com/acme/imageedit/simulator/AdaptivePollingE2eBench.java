package com.acme.imageedit.simulator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.awaitility.Awaitility.await;

/**
 * Acceptance 6 end to end (bench/adaptive-polling-e2e.sh): the real service (workers, poller, adaptive planner
 * learning from the completions it observes) against the real simulator, time-scaled, once with
 * {@code dispatch.polling.mode=fixed} (TheRouter's loop: first poll after 5 s, then every 5 s) and once with
 * {@code adaptive}, side by side on the same simulator (each service gets the same jobs at the same pace, so load on
 * the machine disturbs both alike), on uniform and log-normal run times, one configuration for both distributions.
 * Every time setting of both schedules is scaled by the simulator's time scale. Status calls per job are the
 * service's own per-job {@code poll_count} (their sum is checked against the simulator's counter); lag per job =
 * proxy {@code finished_at} − simulator {@code completedAt}, rescaled to unscaled seconds.
 *
 * <p>Args: timeScale (0.1), submits per second per service (15), warm-up jobs (800), measured jobs (800), distributions
 * (uniform,lognormal), JIT warm-up jobs (400; 0: none); -De2e.dump=prefix writes every measured job as CSV. Not a
 * test: test scope may hold one {@code main} only, so it runs through bench/RunTestScopeMain.java.
 */
public final class AdaptivePollingE2eBench {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    private AdaptivePollingE2eBench() {
    }

    /**
     * One schedule's result. The lag splits in two at the simulator: the schedule's part (completion upstream → the
     * arrival of the first poll after it) and our overhead (that arrival → the job's commit as terminal).
     */
    record Row(String distribution, String schedule, int jobs, double pollsPerJob, double medianPolls,
               double medianLag, double p90Lag, double medianScheduleLag, double p90ScheduleLag,
               double medianOverhead, double p90Overhead, List<Double> lags) {

        @Override
        public String toString() {
            return String.format("%s %s: %d jobs, %.2f calls/job, lag median %.2f s p90 %.2f s (schedule %.2f / %.2f, "
                            + "overhead %.2f / %.2f)", distribution, schedule, jobs, pollsPerJob, medianLag, p90Lag,
                    medianScheduleLag, p90ScheduleLag, medianOverhead, p90Overhead);
        }
    }

    public static void run(String[] args) {
        double scale = args.length > 0 ? Double.parseDouble(args[0]) : 0.1;
        double rate = args.length > 1 ? Double.parseDouble(args[1]) : 15;
        int warm = args.length > 2 ? Integer.parseInt(args[2]) : 800;
        int measured = args.length > 3 ? Integer.parseInt(args[3]) : 800;
        System.out.printf("E2E time-scale=%s submits/s=%s warm-up=%d measured=%d%n", scale, rate, warm, measured);
        List<Row> rows = new ArrayList<>();
        List<String> distributions = args.length > 4 ? List.of(args[4].split(",")) : List.of("uniform", "lognormal");
        String dump = System.getProperty("e2e.dump");
        int jitWarm = args.length > 5 ? Integer.parseInt(args[5]) : 400;
        if (jitWarm > 0) {
            warmTheJit(scale, rate, jitWarm);
        }
        for (String distribution : distributions) {
            try (TheRouterSimulator simulator = TheRouterSimulator.start(simulatorProperties(distribution, scale));
                 Replicas replicas = new Replicas()) {
                // Both schedules run side by side, on the same simulator and the same cores, job for job: whatever
                // else the machine does disturbs both alike.
                ConfigurableApplicationContext fixed = start(replicas, simulator, "fixed", distribution, scale);
                ConfigurableApplicationContext adaptive = start(replicas, simulator, "adaptive", distribution, scale);
                Batch warmFixed = new Batch(fixed, "fixed warm-up");
                Batch warmAdaptive = new Batch(adaptive, "adaptive warm-up");
                submitBoth(warmFixed, warmAdaptive, warm, rate);
                System.out.println("E2E warm-up done: " + warmFixed.row(simulator, distribution, scale) + " / "
                        + warmAdaptive.row(simulator, distribution, scale));
                Batch loop = new Batch(fixed, "fixed 5 s loop");
                Batch learned = new Batch(adaptive, "adaptive");
                long pollsBefore = simulator.stats().polls();
                submitBoth(loop, learned, measured, rate);
                Row loopRow = loop.row(simulator, distribution, scale);
                Row adaptiveRow = learned.row(simulator, distribution, scale);
                System.out.printf("E2E %s%nE2E %s%nE2E simulator polls during the measured batches: %d, the proxies "
                                + "counted %.0f%n", loopRow, adaptiveRow, simulator.stats().polls() - pollsBefore,
                        (loopRow.pollsPerJob() + adaptiveRow.pollsPerJob()) * measured);
                rows.add(loopRow);
                rows.add(adaptiveRow);
                if (dump != null) {
                    loop.dump(simulator, Path.of(dump + "-" + distribution + "-fixed.csv"));
                    learned.dump(simulator, Path.of(dump + "-" + distribution + "-adaptive.csv"));
                }
            }
        }
        System.out.println();
        System.out.println("| distribution | schedule | jobs | status calls/job | median polls/job | median lag s | p90 lag s "
                + "| fewer calls | schedule part median / p90 s | overhead median / p90 s |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            Row loop = rows.stream().filter(x -> x.distribution().equals(r.distribution())
                    && x.schedule().startsWith("fixed")).findFirst().orElseThrow();
            System.out.printf("| %s | %s | %d | %.2f | %.0f | %.2f | %.2f | %.1f%% | %.2f / %.2f | %.2f / %.2f |%n",
                    r.distribution(), r.schedule(), r.jobs(), r.pollsPerJob(), r.medianPolls(), r.medianLag(),
                    r.p90Lag(), 100 * (1 - r.pollsPerJob() / loop.pollsPerJob()), r.medianScheduleLag(),
                    r.p90ScheduleLag(), r.medianOverhead(), r.p90Overhead());
        }
        System.out.println();
        System.out.println("Adaptive minus loop, with 95% bootstrap intervals (2,000 resamples of each batch's jobs):");
        for (Row r : rows) {
            if (r.schedule().startsWith("fixed")) {
                continue;
            }
            Row loop = rows.stream().filter(x -> x.distribution().equals(r.distribution())
                    && x.schedule().startsWith("fixed")).findFirst().orElseThrow();
            double[] median = interval(r, loop, 0.5);
            double[] p90 = interval(r, loop, 0.9);
            System.out.printf("E2E %s: median lag %+.3f s [%+.3f, %+.3f], p90 lag %+.3f s [%+.3f, %+.3f]%n",
                    r.distribution(), r.medianLag() - loop.medianLag(), median[0], median[1],
                    r.p90Lag() - loop.p90Lag(), p90[0], p90[1]);
        }
        System.exit(0);
    }

    /**
     * The JVM's own warm-up, thrown away: a pair of services runs {@code n} jobs and is closed with its databases. A
     * replica in production learns over days; here the first distribution's warm-up batch would otherwise be served by
     * code still being compiled, polls answering hundreds of milliseconds late (scaled: seconds), and the adaptive
     * service would learn that noise.
     */
    private static void warmTheJit(double scale, double rate, int n) {
        try (TheRouterSimulator simulator = TheRouterSimulator.start(simulatorProperties("lognormal", scale));
             Replicas replicas = new Replicas()) {
            Batch fixed = new Batch(start(replicas, simulator, "fixed", "jit", scale), "fixed jit");
            Batch adaptive = new Batch(start(replicas, simulator, "adaptive", "jit", scale), "adaptive jit");
            submitBoth(fixed, adaptive, n, rate);
            System.out.println("E2E JIT warm-up done (" + n + " jobs per service, thrown away)");
        }
    }

    /** The run times: uniform 30-180 s or log-normal (median 60 s, sigma 0.35), queued 2 s, time-scaled. */
    private static SimulatorProperties simulatorProperties(String distribution, double scale) {
        return SimulatorProperties.withTimeScale(scale).withDurations(new SimulatorProperties.Durations(distribution,
                Duration.ofSeconds(30), Duration.ofSeconds(180), Duration.ofSeconds(60), 0.35, Duration.ofSeconds(2)));
    }

    /** Every served poll's arrival, by upstream job id. */
    private static Map<String, List<Instant>> arrivalsById(TheRouterSimulator simulator) {
        Map<String, List<Instant>> arrivals = new HashMap<>();
        for (PollArrival arrival : simulator.pollArrivals()) {
            arrivals.computeIfAbsent(arrival.upstreamId(), k -> new ArrayList<>()).add(arrival.at());
        }
        return arrivals;
    }

    /** One configuration for both distributions; every duration of both schedules multiplied by the time scale. */
    private static String[] settings(String mode, double scale) {
        return new String[] {
                "--dispatch.polling.mode=" + mode,
                "--dispatch.first-poll-delay=" + ms(5_000, scale),
                "--dispatch.poll-interval=" + ms(5_000, scale),
                "--dispatch.polling.min-first-poll=" + ms(5_000, scale),
                "--dispatch.polling.min-interval=" + ms(1_000, scale),
                "--dispatch.polling.max-interval=" + ms(60_000, scale),
                "--dispatch.polling.target-median-lag=" + ms(2_500, scale),
                "--dispatch.polling.target-p90-lag=" + ms(4_500, scale),
                "--dispatch.polling.refresh=" + ms(30_000, scale),
                "--dispatch.polling.min-samples=300",
                "--dispatch.polling.window=2000",
                // the poller's idle pause bounds how late a due poll can start: small, and the same for both
                "--dispatch.idle-delay=10ms",
                "--dispatch.batch-size=64",
                "--dispatch.poll-concurrency=64",
                "--dispatch.submit-concurrency=32",
                "--dispatch.lease=30s",
                // never the bottleneck
                "--dispatch.budget.requests-per-second=100000",
                "--dispatch.budget.burst=1000",
                "--logging.level.root=warn",
                "--logging.level.com.acme.imageedit=warn",
                // the plans in force, to compare with the replay
                "--logging.level.com.acme.imageedit.dispatch.PollSchedule=info",
        };
    }

    private static String ms(long unscaledMillis, double scale) {
        return Math.max(1, Math.round(unscaledMillis * scale)) + "ms";
    }

    private static ConfigurableApplicationContext start(Replicas replicas, TheRouterSimulator simulator, String mode,
                                                        String distribution, double scale) {
        TestDatabase database = Replicas.freshDatabase();
        return replicas.start(database, database, simulator.baseUrl(), "e2e-" + mode + "-" + distribution,
                settings(mode, scale));
    }

    /** Submits n jobs to each batch's service, alternating, at {@code rate} per second each; waits for all. */
    private static void submitBoth(Batch first, Batch second, int n, double rate) {
        byte[] image = TestImages.png(256, 256);
        Flux.range(0, n)
                .delayElements(Duration.ofNanos((long) (1e9 / rate)))
                .flatMap(i -> Flux.merge(first.submit(i, image), second.submit(i, image)), 64)
                .blockLast(Duration.ofMinutes(30));
        first.awaitFinished(n);
        second.awaitFinished(n);
    }

    /** One schedule's batch of jobs: submitted through its API, judged from its database and the simulator. */
    private static final class Batch {
        private final ConfigurableApplicationContext service;
        private final String schedule;
        private final WebClient client;
        private final DatabaseClient db;
        private final String run;
        private final Set<String> ids = ConcurrentHashMap.newKeySet();
        private List<Object[]> finished = List.of();

        Batch(ConfigurableApplicationContext service, String schedule) {
            this.service = service;
            this.schedule = schedule;
            this.client = Replicas.client(service);
            this.db = service.getBean(DatabaseClient.class);
            this.run = schedule.replace(' ', '-') + "-" + System.nanoTime();
        }

        Mono<String> submit(int i, byte[] image) {
            return client.post().uri("/v1/images/edits?async=true")
                    .body(BodyInserters.fromMultipartData(EditForms.simple(run + " job " + i, image)))
                    .retrieve().bodyToMono(JSON).map(job -> (String) job.get("id"))
                    .doOnNext(ids::add);
        }

        void awaitFinished(int n) {
            if (ids.size() != n) {
                throw new IllegalStateException(schedule + ": " + ids.size() + " of " + n + " accepted");
            }
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                    .alias(schedule + ": every accepted job finished")
                    .until(() -> {
                        List<Object[]> rows = db.sql(
                                        "select id::text, upstream_id, finished_at, poll_count, status from jobs")
                                .map((row, meta) -> new Object[] {row.get(0, String.class), row.get(1, String.class),
                                        row.get(2, OffsetDateTime.class), row.get(3, Integer.class),
                                        row.get(4, String.class)})
                                .all().collectList().block(Duration.ofSeconds(30));
                        finished = rows.stream().filter(r -> ids.contains((String) r[0]) && r[2] != null).toList();
                        return finished.size() == n;
                    });
        }

        /** Per job: our submit time, the upstream completion, our finish, and every poll's arrival upstream (epoch ms). */
        void dump(TheRouterSimulator simulator, Path file) {
            Map<String, List<Instant>> arrivals = arrivalsById(simulator);
            Map<String, Instant> submitted = new HashMap<>();
            db.sql("select id::text, submitted_at from jobs").map((row, meta) -> Map.entry(row.get(0, String.class),
                    row.get(1, OffsetDateTime.class).toInstant())).all()
                    .doOnNext(e -> submitted.put(e.getKey(), e.getValue())).blockLast(Duration.ofSeconds(30));
            StringBuilder csv = new StringBuilder("job,submitted,completed,finished,polls\n");
            for (Object[] r : finished) {
                csv.append(r[0]).append(',').append(submitted.get((String) r[0]).toEpochMilli()).append(',')
                        .append(simulator.completedAt((String) r[1]).orElseThrow().toEpochMilli()).append(',')
                        .append(((OffsetDateTime) r[2]).toInstant().toEpochMilli()).append(',')
                        .append(String.join(" ", arrivals.getOrDefault((String) r[1], List.of()).stream()
                                .sorted().map(at -> String.valueOf(at.toEpochMilli())).toList()))
                        .append('\n');
            }
            try {
                Files.writeString(file, csv);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** Status calls per job as this service counted them (the simulator's total is printed beside, to check). */
        Row row(TheRouterSimulator simulator, String distribution, double scale) {
            List<Double> lags = new ArrayList<>();
            List<Double> scheduleLags = new ArrayList<>();
            List<Double> overheads = new ArrayList<>();
            List<Double> pollCounts = new ArrayList<>();
            Map<String, List<Instant>> arrivals = arrivalsById(simulator);
            for (Object[] r : finished) {
                if (!"SUCCEEDED".equalsIgnoreCase((String) r[4])) {
                    throw new IllegalStateException("job " + r[0] + " ended " + r[4]);
                }
                Instant completed = simulator.completedAt((String) r[1]).orElseThrow();
                Instant done = ((OffsetDateTime) r[2]).toInstant();
                lags.add(Duration.between(completed, done).toNanos() / 1e9 / scale);
                pollCounts.add(((Integer) r[3]).doubleValue());
                // the poll that saw it finished is its last one (the simulator may note a poll's arrival a moment
                // before it decides the job's status, so an arrival can precede completedAt by microseconds)
                Instant seen = arrivals.getOrDefault((String) r[1], List.of()).stream().max(Instant::compareTo)
                        .orElseThrow(() -> new IllegalStateException("no poll of " + r[1]));
                scheduleLags.add(Duration.between(completed, seen).toNanos() / 1e9 / scale);
                overheads.add(Duration.between(seen, done).toNanos() / 1e9 / scale);
            }
            double calls = pollCounts.stream().mapToDouble(Double::doubleValue).sum();
            return new Row(distribution, schedule, finished.size(), calls / finished.size(),
                    quantile(pollCounts, 0.5), quantile(lags, 0.5), quantile(lags, 0.9), quantile(scheduleLags, 0.5),
                    quantile(scheduleLags, 0.9), quantile(overheads, 0.5), quantile(overheads, 0.9), List.copyOf(lags));
        }
    }

    /** 95% percentile-bootstrap interval of quantile q of a's lags minus that of b's (a fixed seed: repeatable). */
    private static double[] interval(Row a, Row b, double q) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        double[] differences = new double[2_000];
        for (int i = 0; i < differences.length; i++) {
            differences[i] = quantile(resample(a.lags(), random), q) - quantile(resample(b.lags(), random), q);
        }
        java.util.Arrays.sort(differences);
        return new double[] {differences[49], differences[1_949]};
    }

    private static List<Double> resample(List<Double> values, java.util.SplittableRandom random) {
        List<Double> drawn = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            drawn.add(values.get(random.nextInt(values.size())));
        }
        return drawn;
    }

    /** Nearest-rank quantile. */
    private static double quantile(List<Double> values, double q) {
        List<Double> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }
}
