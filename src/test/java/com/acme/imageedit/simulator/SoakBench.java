package com.acme.imageedit.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import com.acme.imageedit.bench.ServiceProcess;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import com.sun.net.httpserver.HttpServer;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Reliability item 6 (bench/soak.sh): one packaged service process ({@code java -jar}) under moderate, mixed load for
 * a fixed time, sampled every few seconds from outside: heap after a forced full GC ({@code jcmd GC.run}), RSS, live
 * threads, R2DBC pool connections, PostgreSQL backends of its database ({@code pg_stat_activity}), open file
 * descriptors. The simulator runs in this JVM (its job map grows by design and must not be counted in the service).
 * Load: async submits at a fixed rate, OpenAI-style waiting submits, job GETs, list pages, result downloads, two
 * event streams one job after another, and a team webhook subscription to a receiver here. Growth is judged by
 * comparing the first two minutes after the warm-up with the last two.
 *
 * <p>Args: postgresPort jar outDir [seconds=600] [submitsPerSecond=5] [timeScale=0.05] [sampleSeconds=10].
 */
public final class SoakBench {

    private static final String KEY = "soak-key";
    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
            new ParameterizedTypeReference<>() {
            };

    private SoakBench() {
    }

    record Sample(double t, double heapMb, double rssMb, double nonHeapMb, double threads, double poolAllocated,
                  double poolAcquired, double poolPending, double pgBackends, double fds, long accepted,
                  long finished) {

        static final String HEADER = "t_s,heap_after_gc_mb,rss_mb,nonheap_mb,threads,pool_allocated,pool_acquired,"
                + "pool_pending,pg_backends,fds,jobs_accepted,jobs_finished";

        String csv() {
            return String.format(Locale.ROOT, "%.0f,%.1f,%.1f,%.1f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%d,%d", t, heapMb,
                    rssMb, nonHeapMb, threads, poolAllocated, poolAcquired, poolPending, pgBackends, fds, accepted,
                    finished);
        }
    }

    public static void run(String[] args) throws Exception {
        int postgresPort = Integer.parseInt(args[0]);
        Path jar = Path.of(args[1]);
        Path out = Path.of(args[2]);
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 600;
        double submitRate = args.length > 4 ? Double.parseDouble(args[4]) : 5;
        double timeScale = args.length > 5 ? Double.parseDouble(args[5]) : 0.05;
        int every = args.length > 6 ? Integer.parseInt(args[6]) : 10;
        Files.createDirectories(out);
        System.out.printf("SOAK seconds=%d submits/s=%s time-scale=%s sample every %d s%n", seconds, submitRate,
                timeScale, every);

        LongAdder hooks = new LongAdder();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            hooks.increment();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();

        String jdbc = "jdbc:postgresql://127.0.0.1:" + postgresPort + "/imageedit";
        List<String> serviceArgs = List.of(
                "--therouter.api-key=soak-upstream-key",
                "--teams.definitions[0].id=soak",
                "--teams.definitions[0].name=Soak",
                "--teams.definitions[0].key-hashes[0]=" + ServiceProcess.sha256(KEY),
                "--teams.definitions[0].requests-per-second=500",
                "--jobs.link-secret=soak-link-secret-0123456789abcdefghijkl",
                "--dispatch.budget.requests-per-second=100",
                "--dispatch.polling.mode=fixed",
                "--dispatch.first-poll-delay=1s",
                "--dispatch.poll-interval=1s",
                "--webhooks.allowed-networks[0]=127.0.0.0/8");
        try (TheRouterSimulator simulator = TheRouterSimulator.start(SimulatorProperties.withTimeScale(timeScale));
             Connection db = DriverManager.getConnection(jdbc, "postgres", "postgres")) {
            List<String> all = new ArrayList<>(serviceArgs);
            all.add("--therouter.base-url=" + simulator.baseUrl());
            try (ServiceProcess service = ServiceProcess.start(jar, out, "soak-service", postgresPort, List.of(), all)) {
                System.out.printf("SOAK service pid %d on %s; load before: %s%n", service.pid(), service.baseUrl(),
                        uptime());
                WebClient client = WebClient.builder().baseUrl(service.baseUrl().toString())
                        .defaultHeader("Authorization", "Bearer " + KEY)
                        .codecs(c -> c.defaultCodecs().maxInMemorySize(16 * 1024 * 1024)).build();
                client.post().uri("/v1/webhooks").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(Map.of("url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"))
                        .retrieve().toBodilessEntity().block(Duration.ofSeconds(30));
                Load load = new Load(client, TestImages.png(256, 256));
                Disposable running = load.start(submitRate);
                List<Sample> samples = new ArrayList<>();
                Instant start = Instant.now();
                StringBuilder csv = new StringBuilder(Sample.HEADER + "\n");
                try {
                    // a sample every `every` seconds from now, the last at `seconds`; one at a time (a slow sample
                    // delays the next tick rather than piling up)
                    Flux.interval(Duration.ZERO, Duration.ofSeconds(every))
                            .onBackpressureLatest()
                            .take(seconds / every + 1)
                            .concatMap(i -> Mono.fromCallable(() -> sample(service, db,
                                            Duration.between(start, Instant.now()).toMillis() / 1000.0))
                                    .subscribeOn(Schedulers.boundedElastic()), 1)
                            .doOnNext(s -> {
                                samples.add(s);
                                csv.append(s.csv()).append('\n');
                                System.out.println("SOAK " + s.csv());
                                try {
                                    Files.writeString(out.resolve("soak.csv"), csv);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            })
                            .blockLast();
                } finally {
                    running.dispose();
                }
                System.out.printf("SOAK load: %s; webhook deliveries received %d; load after: %s%n", load.summary(),
                        hooks.sum(), uptime());
                System.out.println("SOAK jobs by status: " + jobsByStatus(db));
                verdict(samples, seconds);
            }
        } finally {
            receiver.stop(0);
        }
        System.exit(0);
    }

    private static Sample sample(ServiceProcess service, Connection db, double t) throws Exception {
        long heap = service.heapAfterForcedGc();
        String scrape = service.scrape();
        double backends;
        long accepted;
        long finished;
        try (Statement s = db.createStatement()) {
            try (ResultSet r = s.executeQuery("select count(*) from pg_stat_activity where datname = 'imageedit' "
                    + "and pid <> pg_backend_pid()")) {
                r.next();
                backends = r.getLong(1);
            }
            try (ResultSet r = s.executeQuery("select count(*), count(finished_at) from jobs")) {
                r.next();
                accepted = r.getLong(1);
                finished = r.getLong(2);
            }
        }
        return new Sample(t, heap / 1048576.0, service.rssKb() / 1024.0,
                ServiceProcess.metric(scrape, "jvm_memory_used_bytes", "area=\"nonheap\"") / 1048576.0,
                ServiceProcess.metric(scrape, "jvm_threads_live_threads"),
                ServiceProcess.metric(scrape, "r2dbc_pool_allocated_connections"),
                ServiceProcess.metric(scrape, "r2dbc_pool_acquired_connections"),
                ServiceProcess.metric(scrape, "r2dbc_pool_pending_connections"),
                backends, service.openFileDescriptors(), accepted, finished);
    }

    private static String jobsByStatus(Connection db) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("select status, count(*) from jobs group by status order by status")) {
            while (r.next()) {
                counts.put(r.getString(1), r.getLong(2));
            }
        }
        return counts.toString();
    }

    /**
     * First window: the two minutes after a warm-up of one minute; last window: the last two minutes (both shrink for
     * short runs). Heap, RSS and non-heap: no growth when the last window's mean is within 10% of the first's. Counts
     * (threads, pool connections, backends, descriptors): when the last window's maximum is within 10% (+2) of the
     * first's. Also the least-squares slope over everything after the warm-up, per minute.
     */
    private static void verdict(List<Sample> samples, int seconds) {
        double warm = Math.min(60, seconds / 5.0);
        double window = Math.min(120, (seconds - warm) / 2);
        List<Sample> after = samples.stream().filter(s -> s.t() >= warm).toList();
        List<Sample> first = after.stream().filter(s -> s.t() < warm + window).toList();
        List<Sample> last = after.stream().filter(s -> s.t() >= seconds - window).toList();
        System.out.printf("%nSOAK windows: warm-up %.0f s; first [%.0f, %.0f) s, %d samples; last [%.0f, %d] s, %d samples%n",
                warm, warm, warm + window, first.size(), seconds - window, seconds, last.size());
        System.out.println("| series | first window mean / max | last window mean / max | slope per minute (after warm-up) | growth? |");
        System.out.println("|---|---|---|---|---|");
        boolean ok = true;
        ok &= row("heap after forced GC (MB)", after, first, last, Sample::heapMb, true);
        ok &= row("RSS (MB)", after, first, last, Sample::rssMb, true);
        ok &= row("non-heap (MB)", after, first, last, Sample::nonHeapMb, true);
        ok &= row("live threads", after, first, last, Sample::threads, false);
        ok &= row("R2DBC pool connections allocated", after, first, last, Sample::poolAllocated, false);
        ok &= row("R2DBC pool connections acquired", after, first, last, Sample::poolAcquired, false);
        ok &= row("PostgreSQL backends (pg_stat_activity)", after, first, last, Sample::pgBackends, false);
        ok &= row("open file descriptors", after, first, last, Sample::fds, false);
        System.out.println("SOAK verdict: " + (ok ? "no growth in any series" : "GROWTH in at least one series"));
    }

    private static boolean row(String name, List<Sample> after, List<Sample> first, List<Sample> last,
                               java.util.function.ToDoubleFunction<Sample> f, boolean byMean) {
        double firstMean = first.stream().mapToDouble(f).average().orElse(Double.NaN);
        double lastMean = last.stream().mapToDouble(f).average().orElse(Double.NaN);
        double firstMax = first.stream().mapToDouble(f).max().orElse(Double.NaN);
        double lastMax = last.stream().mapToDouble(f).max().orElse(Double.NaN);
        double n = after.size();
        double mt = after.stream().mapToDouble(Sample::t).average().orElse(0);
        double my = after.stream().mapToDouble(f).average().orElse(0);
        double cov = after.stream().mapToDouble(s -> (s.t() - mt) * (f.applyAsDouble(s) - my)).sum() / n;
        double var = after.stream().mapToDouble(s -> (s.t() - mt) * (s.t() - mt)).sum() / n;
        double slope = var == 0 ? 0 : cov / var * 60;
        boolean grew = byMean ? lastMean > firstMean * 1.10 : lastMax > firstMax * 1.10 + 2;
        System.out.printf(Locale.ROOT, "| %s | %.1f / %.1f | %.1f / %.1f | %+.2f | %s |%n", name, firstMean, firstMax,
                lastMean, lastMax, slope, grew ? "**yes**" : "no");
        return !grew;
    }

    private static String uptime() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The client side: every kind of call, each counted by outcome. */
    private static final class Load {

        private final WebClient client;
        private final byte[] image;
        private final ConcurrentLinkedDeque<String> recent = new ConcurrentLinkedDeque<>();
        private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        private final AtomicLong sequence = new AtomicLong();

        Load(WebClient client, byte[] image) {
            this.client = client;
            this.image = image;
        }

        Disposable start(double submitRate) {
            Disposable.Composite all = Disposables.composite();
            all.add(every(Duration.ofNanos((long) (1e9 / submitRate)), this::submit));
            all.add(every(Duration.ofMillis(2000), this::waitingSubmit));
            all.add(every(Duration.ofMillis(100), this::getJob));
            all.add(every(Duration.ofMillis(1000), this::content));
            all.add(every(Duration.ofMillis(2000), () -> call("list", client.get().uri("/v1/jobs?limit=20")
                    .retrieve().toBodilessEntity())));
            all.add(every(Duration.ofMillis(5000), () -> call("usage", client.get().uri("/v1/usage")
                    .retrieve().toBodilessEntity())));
            for (int i = 0; i < 2; i++) {
                all.add(Flux.defer(this::streamOneJob).repeat().subscribe());
            }
            return all;
        }

        String summary() {
            return new java.util.TreeMap<>(outcomes).toString();
        }

        private Disposable every(Duration period, java.util.function.Supplier<Mono<?>> call) {
            return Flux.interval(period).onBackpressureDrop().flatMap(tick -> call.get(), 256).subscribe();
        }

        private Mono<?> submit() {
            return call("submit", client.post().uri("/v1/images/edits?async=true")
                    .body(BodyInserters.fromMultipartData(EditForms.simple(prompt(), image)))
                    .retrieve().bodyToMono(JSON)
                    .doOnNext(job -> remember((String) job.get("id"))));
        }

        private Mono<?> waitingSubmit() {
            return call("openai_wait", client.post().uri("/v1/images/edits")
                    .body(BodyInserters.fromMultipartData(EditForms.simple(prompt(), image)))
                    .retrieve().toBodilessEntity());
        }

        private Mono<?> getJob() {
            String id = pick();
            return id == null ? Mono.empty() : call("get", client.get().uri("/v1/jobs/{id}", id)
                    .retrieve().toBodilessEntity());
        }

        private Mono<?> content() {
            String id = pick();
            return id == null ? Mono.empty() : client.get().uri("/v1/jobs/{id}/content", id)
                    .exchangeToMono(r -> r.releaseBody().thenReturn(r.statusCode().value()))
                    .timeout(Duration.ofSeconds(70))
                    .doOnNext(status -> count("content_" + status))
                    .onErrorResume(e -> {
                        count("content_error_" + e.getClass().getSimpleName());
                        return Mono.empty();
                    });
        }

        /** Submits a job and follows its event stream to the end. */
        private Mono<?> streamOneJob() {
            return client.post().uri("/v1/images/edits?async=true")
                    .body(BodyInserters.fromMultipartData(EditForms.simple(prompt(), image)))
                    .retrieve().bodyToMono(JSON)
                    .flatMap(job -> client.get().uri("/v1/jobs/{id}/events", job.get("id"))
                            .accept(MediaType.TEXT_EVENT_STREAM)
                            .retrieve().bodyToFlux(SSE).count())
                    .timeout(Duration.ofSeconds(120))
                    .doOnNext(events -> count("sse_stream_" + events + "_events"))
                    .onErrorResume(e -> {
                        count("sse_error_" + e.getClass().getSimpleName());
                        return Mono.delay(Duration.ofSeconds(1)).then(Mono.empty());
                    });
        }

        private Mono<?> call(String kind, Mono<?> request) {
            return request.timeout(Duration.ofSeconds(70))
                    .doOnSuccess(v -> count(kind + "_ok"))
                    .onErrorResume(e -> {
                        count(kind + "_" + (e instanceof WebClientResponseException w
                                ? Integer.toString(w.getStatusCode().value()) : e.getClass().getSimpleName()));
                        return Mono.empty();
                    });
        }

        private String prompt() {
            return "soak " + sequence.incrementAndGet() + ": turn this scene into a watercolor painting";
        }

        private void remember(String id) {
            recent.addFirst(id);
            while (recent.size() > 200) {
                recent.pollLast();
            }
        }

        private String pick() {
            Object[] ids = recent.toArray();
            return ids.length == 0 ? null : (String) ids[ThreadLocalRandom.current().nextInt(ids.length)];
        }

        private void count(String outcome) {
            outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
        }
    }
}
