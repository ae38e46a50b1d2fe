package com.acme.imageedit.simulator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.acme.imageedit.support.TestImages;
import com.sun.net.httpserver.HttpServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue #8, reliability items 1-4 (bench/reliability.sh). Everything that must outlive the service runs in this
 * process: the TheRouter simulator (its counters are the evidence of what was submitted upstream), a Standard Webhooks
 * receiver that verifies every signature, and PostgreSQL (zonky's embedded server, which this process stops and starts
 * again on the same data directory: a restart). The SERVICE is a child process ({@code java -jar} of the packaged jar,
 * configured by bench/reliability.yml), so that it can be killed with SIGKILL and started again.
 *
 * <p>Scenarios: {@code kill} (1,000 jobs, {@code kill -9} at three random moments, restarts), {@code postgres} (500
 * jobs, PostgreSQL restarted twice; the API's answers while it is down are timed), {@code upstream} (500 jobs, the
 * simulator answers 503 to everything for a minute while the webhook receiver is down too, and stays down a while
 * after). Every job carries a {@code callback_url}. Checks after each: every accepted job terminal (API and database),
 * none missing, no job submitted upstream twice, every upstream job belongs to a proxy job, jobs that are not
 * {@code succeeded} only with {@code submit_outcome_unknown} (the simulator fails nothing by itself), each job's
 * terminal event delivered with a valid signature, no delivery left pending. Exits 1 when a check fails.
 *
 * <p>Args: scenario (kill|postgres|upstream|all), the service jar, its config file, an output directory, a seed
 * (optional: random, printed), and for tuning {@code key=value} pairs (jobs, rate, timeScale).
 */
public final class ReliabilityRun {

    static final String KEY = "reliability-key";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled", "expired");

    private ReliabilityRun() {
    }

    public static void run(String[] args) throws Exception {
        String scenario = args[0];
        Path jar = Path.of(args[1]);
        Path config = Path.of(args[2]).toAbsolutePath();
        Path out = Path.of(args[3]).toAbsolutePath();
        long seed = args.length > 4 && !args[4].isBlank() ? Long.parseLong(args[4]) : new Random().nextLong();
        Map<String, String> options = new HashMap<>();
        for (int i = 5; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            options.put(kv[0], kv[1]);
        }
        Files.createDirectories(out);
        List<String> scenarios = scenario.equals("all") ? List.of("kill", "postgres", "upstream") : List.of(scenario);
        int failed = 0;
        for (String s : scenarios) {
            Scenario run = new Scenario(s, jar, config, out, seed, options);
            try {
                failed += run.execute();
            } finally {
                run.close();
            }
        }
        System.out.println(failed == 0 ? "RELIABILITY ALL CHECKS PASSED" : "RELIABILITY " + failed + " CHECK(S) FAILED");
        System.exit(failed == 0 ? 0 : 1);
    }

    /** One scenario: its own database, simulator, receiver and service. */
    static final class Scenario implements AutoCloseable {

        final String name;
        final Path jar;
        final Path config;
        final Path out;
        final Random random;
        final long seed;
        final int jobs;
        final double rate;
        final double timeScale;
        final Instant start = Instant.now();
        final List<String> failures = new ArrayList<>();

        final Database database;
        final TheRouterSimulator simulator;
        final Receiver receiver;
        final Service service;
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        final byte[] image = TestImages.png(256, 256);

        // submitter state
        final Map<String, String> accepted = new ConcurrentHashMap<>(); // job id -> prompt
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger attempts = new AtomicInteger();
        final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();

        record Answer(Instant started, String kind, int status, String contentType, long millis) {
        }

        Scenario(String name, Path jar, Path config, Path out, long seed, Map<String, String> options)
                throws Exception {
            this.name = name;
            this.jar = jar;
            this.config = config;
            this.out = out;
            this.seed = seed;
            this.random = new Random(seed);
            this.jobs = Integer.parseInt(options.getOrDefault("jobs", name.equals("kill") ? "1000" : "500"));
            this.rate = Double.parseDouble(options.getOrDefault("rate", "8"));
            this.timeScale = Double.parseDouble(options.getOrDefault("timeScale", "0.05"));
            log("scenario %s: %d jobs at %.1f/s, simulator time scale %s, seed %d", name, jobs, rate, timeScale, seed);
            database = new Database(out.resolve(name + "-pgdata"), freePort());
            database.start(true);
            simulator = TheRouterSimulator.start(SimulatorProperties.withTimeScale(timeScale));
            receiver = new Receiver(freePort());
            receiver.start();
            service = new Service(name, jar, config, out.resolve(name + "-service.log"), freePort(), database.port,
                    simulator.baseUrl());
        }

        int execute() throws Exception {
            service.start();
            service.awaitReady(Duration.ofSeconds(180));
            receiver.secret = defaultSecret();
            AtomicBoolean submitting = new AtomicBoolean(true);
            Thread submitter = new Thread(() -> submitAll(submitting), "submitter");
            submitter.start();
            switch (name) {
                case "kill" -> killThreeTimes(submitter);
                case "postgres" -> restartPostgresTwice(submitter);
                case "upstream" -> upstreamAndReceiverOutage(submitter);
                default -> throw new IllegalArgumentException("unknown scenario " + name);
            }
            submitter.join();
            log("submitting done: %d accepted of %d attempts; outcomes %s", accepted.size(), attempts.get(),
                    new TreeMap<>(outcomes));
            verify();
            return report();
        }

        // ---------------------------------------------------------------------------------------- scenario steps

        void killThreeTimes(Thread submitter) throws Exception {
            List<String> moments = new ArrayList<>();
            for (int k = 1; k <= 3; k++) {
                // a random moment 5-30 s after the service (re)started, while jobs are still being accepted
                long waitMs = 5_000 + random.nextInt(25_000);
                Thread.sleep(waitMs);
                if (!submitter.isAlive()) {
                    log("kill %d: the submitter finished first; killing now", k);
                }
                Map<String, Long> before = database.statusCounts();
                long sentUnrecorded = database.count("select count(*) from jobs where status = 'SUBMITTING' "
                        + "and submit_sent_at is not null and upstream_id is null");
                String moment = String.format("kill %d at +%.1f s (%d ms after start), accepted so far %d, jobs %s, "
                        + "sent-unrecorded submits %d", k, seconds(), waitMs, accepted.size(), before, sentUnrecorded);
                log("%s", moment);
                moments.add(moment);
                service.kill9();
                Instant down = Instant.now();
                service.start();
                service.awaitReady(Duration.ofSeconds(180));
                log("restarted after kill %d: down %.1f s", k, Duration.between(down, Instant.now()).toMillis() / 1e3);
            }
            extra.put("kill moments", String.join("\n", moments));
        }

        void restartPostgresTwice(Thread submitter) throws Exception {
            AtomicBoolean probing = new AtomicBoolean(false);
            List<String> outages = new ArrayList<>();
            for (int k = 1; k <= 2; k++) {
                long waitMs = 10_000 + random.nextInt(15_000);
                Thread.sleep(waitMs);
                long downMs = 10_000 + random.nextInt(10_000);
                String probeId = accepted.keySet().stream().findAny().orElseThrow();
                Thread prober = new Thread(() -> probe(probeId, probing), "prober");
                Instant stop = Instant.now();
                log("postgres restart %d at +%.1f s: stopping for %d ms", k, seconds(), downMs);
                database.stop();
                Instant stopped = Instant.now();
                probing.set(true);
                prober.start();
                Thread.sleep(downMs);
                probing.set(false);
                prober.join();
                Instant starting = Instant.now();
                database.start(false);
                Instant back = Instant.now();
                outages.add(String.format("restart %d: stopped at +%.1f s, down %.1f s (stop+start included)", k,
                        Duration.between(start, stop).toMillis() / 1e3,
                        Duration.between(stop, back).toMillis() / 1e3));
                log("postgres back at +%.1f s", seconds());
                // judged: the calls made while it was certainly down (stopped, and not yet starting)
                outageWindows.add(new Instant[] {stopped, starting});
            }
            extra.put("postgres outages", String.join("\n", outages));
        }

        /** When PostgreSQL was stopped and when it answered again, per restart. */
        final List<Instant[]> outageWindows = new ArrayList<>();

        /** While PostgreSQL is down: a job read, the job list and a submit, one after another, each timed. */
        void probe(String jobId, AtomicBoolean probing) {
            while (probing.get()) {
                call("probe GET /v1/jobs/{id}", HttpRequest.newBuilder(service.uri("/v1/jobs/" + jobId)).GET());
                call("probe GET /v1/jobs", HttpRequest.newBuilder(service.uri("/v1/jobs?limit=5")).GET());
                sleep(200);
            }
        }

        void call(String kind, HttpRequest.Builder request) {
            Instant started = Instant.now();
            long t0 = System.nanoTime();
            try {
                HttpResponse<String> response = http.send(request.header("Authorization", "Bearer " + KEY)
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                answers.add(new Answer(started, kind, response.statusCode(),
                        response.headers().firstValue("content-type").orElse(""), (System.nanoTime() - t0) / 1_000_000));
            } catch (IOException e) {
                answers.add(new Answer(started, kind, -1, e.getClass().getSimpleName(),
                        (System.nanoTime() - t0) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void upstreamAndReceiverOutage(Thread submitter) throws Exception {
            long waitMs = 10_000 + random.nextInt(10_000);
            Thread.sleep(waitMs);
            Duration outage = Duration.ofSeconds(60);
            log("upstream outage (503 for every call) and webhook receiver down at +%.1f s for %d s", seconds(),
                    outage.toSeconds());
            Instant from = Instant.now();
            simulator.setOutage(SimulatorOutage.unavailable(outage));
            receiver.stop();
            long receivedBefore = receiver.received.size();
            Thread.sleep(outage.toMillis());
            log("upstream back at +%.1f s; the receiver stays down 30 s more, while the backlog finishes", seconds());
            Thread.sleep(30_000);
            long pending = database.count("select count(*) from webhook_deliveries where status = 'PENDING'");
            long retried = database.count("select count(*) from webhook_deliveries where status = 'PENDING' "
                    + "and attempts > 0");
            receiver.start();
            receiverBack = Instant.now();
            log("receiver back at +%.1f s with %d deliveries pending (%d already tried and refused)", seconds(),
                    pending, retried);
            extra.put("outage", String.format("upstream 503 from +%.1f s for %d s; receiver down from +%.1f s for "
                            + "%d s; %d deliveries received before; %d pending when it came back, %d of them already "
                            + "attempted", Duration.between(start, from).toMillis() / 1e3, outage.toSeconds(),
                    Duration.between(start, from).toMillis() / 1e3, outage.toSeconds() + 30, receivedBefore, pending,
                    retried));
        }

        // ---------------------------------------------------------------------------------------- the submitter

        /** Steady attempts at {@code rate} until {@code jobs} were accepted; an attempt that fails is not a job. */
        void submitAll(AtomicBoolean submitting) {
            ExecutorService pool = Executors.newFixedThreadPool(32);
            long period = (long) (1e9 / rate);
            long next = System.nanoTime();
            int n = 0;
            while (accepted.size() < jobs) {
                if (accepted.size() + inFlight.get() < jobs) {
                    int i = n++;
                    inFlight.incrementAndGet();
                    pool.execute(() -> {
                        try {
                            submitOne(i);
                        } finally {
                            inFlight.decrementAndGet();
                        }
                    });
                }
                next += period;
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    sleep(sleep / 1_000_000);
                }
            }
            submitting.set(false);
            pool.shutdown();
        }

        void submitOne(int i) {
            attempts.incrementAndGet();
            String prompt = "reliability " + name + " " + seed + " job " + i;
            String boundary = "----reliability" + i;
            byte[] body = multipart(boundary, prompt, receiver.url("/hook/" + i));
            Instant started = Instant.now();
            long t0 = System.nanoTime();
            String outcome;
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(service.uri("/v1/images/edits?async=true"))
                                .header("Authorization", "Bearer " + KEY)
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .timeout(Duration.ofSeconds(30))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                long ms = (System.nanoTime() - t0) / 1_000_000;
                answers.add(new Answer(started, "POST /v1/images/edits", response.statusCode(),
                        response.headers().firstValue("content-type").orElse(""), ms));
                if (response.statusCode() == 202) {
                    accepted.put(JSON.readTree(response.body()).get("id").asString(), prompt);
                }
                outcome = String.valueOf(response.statusCode());
            } catch (java.net.ConnectException e) {
                outcome = "connection refused";
            } catch (IOException e) {
                answers.add(new Answer(started, "POST /v1/images/edits", -1, e.getClass().getSimpleName(),
                        (System.nanoTime() - t0) / 1_000_000));
                // the answer was lost: the job may exist (it is then an "orphan", checked like the rest)
                outcome = "answer lost (" + e.getClass().getSimpleName() + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            outcomes.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
        }

        byte[] multipart(String boundary, String prompt, String callback) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (String[] field : new String[][] {{"model", "qwen/qwen-image-edit"}, {"prompt", prompt},
                    {"callback_url", callback}}) {
                body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field[0]
                        + "\"\r\n\r\n" + field[1] + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; "
                    + "filename=\"input.png\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(image);
            body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            return body.toByteArray();
        }

        String defaultSecret() throws Exception {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(service.uri("/v1/webhooks/default/secret"))
                    .header("Authorization", "Bearer " + KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("default secret: " + response.statusCode() + " " + response.body());
            }
            return JSON.readTree(response.body()).get("key").asString();
        }

        // ---------------------------------------------------------------------------------------- checks

        final Map<String, String> extra = new LinkedHashMap<>();
        final Map<String, Object> numbers = new LinkedHashMap<>();

        void verify() throws Exception {
            // 1. every accepted job reaches a terminal state (the database is read; the API is asked below)
            boolean allTerminal = await(Duration.ofSeconds(240), () -> {
                try {
                    return database.count("select count(*) from jobs where status in "
                            + "('QUEUED', 'SUBMITTING', 'RUNNING')") == 0;
                } catch (SQLException e) {
                    return false;
                }
            });
            check(allTerminal, "every job in the database terminal within 240 s of the last submit; open now: "
                    + database.statusCounts());
            // 2. the API knows every accepted job, terminal
            Map<String, Integer> byStatus = new TreeMap<>();
            Map<String, String> apiStatus = new HashMap<>();
            int missing = 0;
            for (String id : accepted.keySet()) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(service.uri("/v1/jobs/" + id))
                        .header("Authorization", "Bearer " + KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    missing++;
                    continue;
                }
                JsonNode job = JSON.readTree(response.body());
                String status = job.get("status").asString();
                String code = job.has("error") ? job.get("error").get("code").asString() : "";
                apiStatus.put(id, status);
                byStatus.merge(code.isEmpty() ? status : status + "/" + code, 1, Integer::sum);
            }
            numbers.put("accepted (202)", accepted.size());
            numbers.put("API: by status", byStatus);
            check(accepted.size() == jobs, "accepted " + accepted.size() + " of " + jobs);
            check(missing == 0, missing + " accepted jobs unknown to the API (lost)");
            long notTerminal = apiStatus.values().stream().filter(s -> !TERMINAL.contains(s)).count();
            check(notTerminal == 0, notTerminal + " accepted jobs not terminal in the API");
            // every answer of the run: a submit is 202 or, while something is down, 503 problem+json; nothing else 5xx
            Map<String, Integer> unexpected = new TreeMap<>();
            for (Answer a : answers) {
                boolean ok = a.status() == -1 // no answer: the service was killed or the call timed out
                        || (a.status() == 503 && a.contentType().startsWith("application/problem+json"))
                        || (a.kind().startsWith("POST") ? a.status() == 202 : a.status() == 200);
                if (!ok) {
                    unexpected.merge(a.kind() + " " + a.status(), 1, Integer::sum);
                }
            }
            numbers.put("answers other than 202/200 or 503 problem+json", unexpected);
            check(unexpected.isEmpty(), "every API answer of the run 202/200 or 503 problem+json; others: " + unexpected);
            // 3. the database against the simulator
            Map<String, DbJob> rows = database.jobs();
            numbers.put("database jobs", rows.size());
            long orphans = rows.keySet().stream().filter(id -> !accepted.containsKey(id)).count();
            numbers.put("database jobs whose 202 was lost (not counted as accepted)", orphans);
            Map<String, List<String>> upstream = simulator.upstreamIdsByPrompt();
            SimulatorStats stats = simulator.stats();
            numbers.put("simulator", String.format("submitsAccepted=%d duplicateSubmits=%d distinctPrompts=%d "
                            + "outageAnswers=%d polls=%d succeeded=%d", stats.submitsAccepted(),
                    stats.duplicateSubmits(), stats.distinctPrompts(), stats.outageAnswers(), stats.polls(),
                    stats.jobsSucceeded()));
            check(stats.duplicateSubmits() == 0, stats.duplicateSubmits() + " duplicate submits upstream");
            long twice = upstream.values().stream().filter(ids -> ids.size() > 1).count();
            check(twice == 0, twice + " proxy jobs with more than one upstream job");
            Map<String, DbJob> byPrompt = rows.values().stream().collect(Collectors.toMap(DbJob::prompt, j -> j));
            long unknownUpstream = upstream.keySet().stream().filter(p -> !byPrompt.containsKey(p)).count();
            check(unknownUpstream == 0, unknownUpstream + " upstream jobs of no proxy job");
            int recordedMismatch = 0;
            int ambiguousReached = 0;
            int ambiguousNotReached = 0;
            int untracked = 0;
            int otherFailures = 0;
            for (DbJob job : rows.values()) {
                List<String> ids = upstream.getOrDefault(job.prompt(), List.of());
                if (job.upstreamId() != null && !ids.contains(job.upstreamId())) {
                    recordedMismatch++;
                }
                if ("submit_outcome_unknown".equals(job.errorCode())) {
                    if (ids.isEmpty()) {
                        ambiguousNotReached++;
                    } else {
                        ambiguousReached++;
                    }
                } else if (job.upstreamId() == null && !ids.isEmpty()) {
                    untracked++;
                }
                if (!job.status().equals("SUCCEEDED") && !"submit_outcome_unknown".equals(job.errorCode())) {
                    otherFailures++;
                }
            }
            numbers.put("submit_outcome_unknown: job created upstream (billed, never resubmitted)", ambiguousReached);
            numbers.put("submit_outcome_unknown: never reached upstream", ambiguousNotReached);
            check(recordedMismatch == 0, recordedMismatch + " jobs whose recorded upstream id the simulator never issued");
            check(untracked == 0, untracked + " jobs created upstream whose id the proxy did not record "
                    + "(and did not judge ambiguous)");
            check(otherFailures == 0, otherFailures + " jobs ended otherwise than succeeded or submit_outcome_unknown "
                    + "(the simulator fails none by itself)");
            // 4. webhooks: the terminal event of every job, delivered and signed
            boolean delivered = await(Duration.ofSeconds(120), () -> {
                try {
                    return database.count("select count(*) from webhook_deliveries where status <> 'DELIVERED'") == 0
                            && database.count("select count(*) from jobs j where not exists (select 1 from "
                            + "webhook_deliveries d where d.job_id = j.id)") == 0;
                } catch (SQLException e) {
                    return false;
                }
            });
            check(delivered, "every delivery DELIVERED within 120 s; not yet: " + database.deliveryCounts());
            verifyWebhooks(rows);
            // 5. breaker transitions in the service's log
            List<String> transitions = Files.readAllLines(service.logFile).stream()
                    .filter(l -> l.contains("Circuit breaker therouter:"))
                    .map(l -> l.replaceAll("^(\\S+).*(Circuit breaker therouter: [A-Z_]+ -> [A-Z_]+).*", "$1 $2"))
                    .toList();
            numbers.put("breaker transitions logged", transitions.size());
            if (!transitions.isEmpty()) {
                extra.put("breaker transitions", String.join("\n", transitions));
            }
            if (name.equals("upstream")) {
                check(transitions.stream().anyMatch(t -> t.endsWith("-> OPEN")), "the breaker opened (logged)");
                check(!transitions.isEmpty() && transitions.get(transitions.size() - 1).endsWith("-> CLOSED"),
                        "the breaker's last logged transition is to CLOSED");
            }
            if (name.equals("postgres")) {
                verifyOutageAnswers();
            }
        }

        volatile Instant receiverBack;

        void verifyWebhooks(Map<String, DbJob> rows) {
            if (receiverBack != null) {
                Instant last = receiver.received.stream().map(Receiver.Received::at).max(Comparator.naturalOrder())
                        .orElse(receiverBack);
                long afterReturn = receiver.received.stream().filter(r -> !r.at().isBefore(receiverBack)).count();
                numbers.put("webhooks received after the receiver came back", String.format(
                        "%d, the last %.1f s after its return", afterReturn,
                        Duration.between(receiverBack, last).toMillis() / 1e3));
            }
            Map<String, List<Receiver.Received>> byJob = receiver.received.stream()
                    .collect(Collectors.groupingBy(Receiver.Received::jobId));
            long invalid = receiver.received.stream().filter(r -> !r.valid()).count();
            int noDelivery = 0;
            int wrongType = 0;
            int moreThanOneEvent = 0;
            int resent = 0;
            for (DbJob job : rows.values()) {
                List<Receiver.Received> got = byJob.getOrDefault(job.id(), List.of());
                if (got.isEmpty()) {
                    noDelivery++;
                    continue;
                }
                String expected = "job." + job.status().toLowerCase();
                if (got.stream().anyMatch(r -> !r.type().equals(expected))) {
                    wrongType++;
                }
                long ids = got.stream().map(Receiver.Received::webhookId).distinct().count();
                if (ids > 1) {
                    moreThanOneEvent++;
                }
                resent += got.size() - (int) ids;
            }
            numbers.put("webhook requests received", receiver.received.size());
            numbers.put("webhook signatures invalid", invalid);
            numbers.put("webhook repeats of one webhook-id (at least once)", resent);
            numbers.put("webhook retries: attempts beyond each delivery's first (database)", database.countOrMinus(
                    "select coalesce(sum(attempts), 0) - count(*) from webhook_deliveries"));
            check(invalid == 0, invalid + " webhook requests with an invalid signature");
            check(noDelivery == 0, noDelivery + " jobs without their webhook");
            check(wrongType == 0, wrongType + " jobs with a webhook of the wrong event type");
            check(moreThanOneEvent == 0, moreThanOneEvent + " jobs with more than one distinct webhook event");
        }

        void verifyOutageAnswers() {
            // every call that started while PostgreSQL was down, however long it took (all ended by now: 30 s timeout)
            List<Answer> downAnswers = answers.stream().filter(a -> outageWindows.stream().anyMatch(
                    w -> !a.started().isBefore(w[0]) && a.started().isBefore(w[1]))).toList();
            Map<String, Integer> statuses = new TreeMap<>();
            long slowest = 0;
            String slowestKind = "";
            int not503 = 0;
            for (Answer a : downAnswers) {
                statuses.merge(a.kind() + " " + a.status(), 1, Integer::sum);
                if (a.millis() > slowest) {
                    slowest = a.millis();
                    slowestKind = a.kind();
                }
                if (a.status() != 503 || !a.contentType().startsWith("application/problem+json")) {
                    not503++;
                }
            }
            List<Long> sorted = downAnswers.stream().map(Answer::millis).sorted().toList();
            numbers.put("API answers while PostgreSQL was down", statuses);
            numbers.put("their latency ms: median / p99 / max", sorted.isEmpty() ? "none" : String.format("%d / %d / %d (%s)",
                    sorted.get(sorted.size() / 2), sorted.get(Math.max(0, (int) Math.ceil(0.99 * sorted.size()) - 1)),
                    slowest, slowestKind));
            check(!downAnswers.isEmpty(), "the API was called while PostgreSQL was down");
            check(not503 == 0, not503 + " answers during the outage that were not 503 problem+json");
            check(slowest < 2_000, "slowest answer during the outage " + slowest + " ms (< 2000 ms)");
        }

        void check(boolean ok, String what) {
            System.out.println((ok ? "CHECK ok   " : "CHECK FAIL ") + name + ": " + what);
            if (!ok) {
                failures.add(what);
            }
        }

        int report() {
            System.out.println();
            System.out.printf("RESULT %s (seed %d, %.0f s)%n", name, seed, seconds());
            numbers.forEach((k, v) -> System.out.println("  " + k + ": " + v));
            extra.forEach((k, v) -> System.out.println("  " + k + ":\n    " + v.replace("\n", "\n    ")));
            System.out.println("  checks failed: " + failures.size());
            System.out.println();
            return failures.size();
        }

        double seconds() {
            return Duration.between(start, Instant.now()).toMillis() / 1e3;
        }

        void log(String format, Object... args) {
            System.out.printf("[%s +%6.1fs] %s%n", name, seconds(), String.format(format, args));
        }

        @Override
        public void close() {
            service.stop();
            receiver.stop();
            simulator.close();
            database.stop();
        }
    }

    // -------------------------------------------------------------------------------------------- the service process

    static final class Service {

        final String name;
        final Path jar;
        final Path config;
        final Path logFile;
        final int port;
        final int managementPort;
        final int databasePort;
        final URI upstream;
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Process process;
        int starts;

        Service(String name, Path jar, Path config, Path logFile, int port, int databasePort, URI upstream)
                throws IOException {
            this.name = name;
            this.jar = jar;
            this.config = config;
            this.logFile = logFile;
            this.port = port;
            this.managementPort = freePort();
            this.databasePort = databasePort;
            this.upstream = upstream;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (process != null) {
                    process.destroyForcibly();
                }
            }));
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        void start() throws IOException {
            starts++;
            String jdbc = "//127.0.0.1:" + databasePort + "/imageedit";
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-jar", jar.toString(),
                    "--spring.config.additional-location=file:" + config,
                    "--server.port=" + port,
                    "--server.address=127.0.0.1",
                    "--management.server.port=" + managementPort,
                    "--management.server.address=127.0.0.1",
                    "--spring.r2dbc.url=r2dbc:postgresql:" + jdbc,
                    "--spring.r2dbc.username=postgres", "--spring.r2dbc.password=postgres",
                    "--spring.flyway.url=jdbc:postgresql:" + jdbc,
                    "--spring.flyway.user=postgres", "--spring.flyway.password=postgres",
                    "--therouter.base-url=" + upstream,
                    "--dispatch.worker-id=" + name + "-" + starts);
            Files.writeString(logFile, "=== start " + starts + " at " + Instant.now() + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        }

        void awaitReady(Duration timeout) {
            boolean ready = await(timeout, () -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the service exited with " + process.exitValue() + "; see "
                            + logFile);
                }
                try {
                    return http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness")).GET()
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode() == 200;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
            if (!ready) {
                throw new IllegalStateException("the service was not ready within " + timeout);
            }
        }

        /** SIGKILL: no shutdown hook, no lease given back, nothing flushed. */
        void kill9() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }

        void stop() {
            if (process != null && process.isAlive()) {
                process.destroy();
                try {
                    if (!process.waitFor(30, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    // -------------------------------------------------------------------------------------------- PostgreSQL

    record DbJob(String id, String prompt, String status, String errorCode, String upstreamId) {
    }

    static final class Database {

        final Path directory;
        final int port;
        EmbeddedPostgres postgres;

        Database(Path directory, int port) {
            this.directory = directory;
            this.port = port;
        }

        void start(boolean fresh) throws IOException {
            if (fresh && Files.exists(directory)) {
                try (var files = Files.walk(directory)) {
                    files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(java.io.File::delete);
                }
            }
            Files.createDirectories(directory);
            postgres = EmbeddedPostgres.builder().setPort(port).setDataDirectory(directory)
                    .setCleanDataDirectory(false)
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .start();
            if (fresh) {
                try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                    s.execute("create database imageedit");
                } catch (SQLException e) {
                    throw new IOException(e);
                }
            }
        }

        void stop() {
            if (postgres != null) {
                try {
                    postgres.close();
                } catch (IOException e) {
                    System.err.println("PostgreSQL stop: " + e);
                }
                postgres = null;
            }
        }

        Connection connect() throws SQLException {
            return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/imageedit", "postgres",
                    "postgres");
        }

        long count(String sql) throws SQLException {
            try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
                r.next();
                return r.getLong(1);
            }
        }

        Object countOrMinus(String sql) {
            try {
                return count(sql);
            } catch (SQLException e) {
                return "unreadable: " + e.getMessage();
            }
        }

        Map<String, Long> statusCounts() {
            return grouped("select status, count(*) from jobs group by status");
        }

        Map<String, Long> deliveryCounts() {
            return grouped("select status, count(*) from webhook_deliveries group by status");
        }

        Map<String, Long> grouped(String sql) {
            Map<String, Long> counts = new TreeMap<>();
            try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
                while (r.next()) {
                    counts.put(r.getString(1), r.getLong(2));
                }
            } catch (SQLException e) {
                counts.put("unreadable: " + e.getMessage(), -1L);
            }
            return counts;
        }

        Map<String, DbJob> jobs() throws SQLException {
            Map<String, DbJob> jobs = new HashMap<>();
            try (Connection c = connect(); Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("select id, prompt, status, error_code, upstream_id from jobs")) {
                while (r.next()) {
                    jobs.put(r.getString(1), new DbJob(r.getString(1), r.getString(2), r.getString(3),
                            r.getString(4), r.getString(5)));
                }
            }
            return jobs;
        }
    }

    // -------------------------------------------------------------------------------------------- webhook receiver

    /**
     * A Standard Webhooks receiver (JDK HTTP server on a fixed loopback port): verifies each request's signature with
     * the team's default secret, as any receiver would (written from the specification, independent of the signer),
     * records it and answers 204. Stopping it closes the port: the sender meets "connection refused".
     */
    static final class Receiver {

        record Received(String webhookId, String jobId, String type, boolean valid, Instant at) {
        }

        final int port;
        final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
        volatile String secret;
        HttpServer server;

        Receiver(int port) {
            this.port = port;
        }

        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }

        void start() throws IOException {
            IOException last = null;
            for (int attempt = 0; attempt < 50; attempt++) {
                try {
                    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
                    break;
                } catch (IOException e) {
                    last = e;
                    sleep(100);
                }
            }
            if (server == null) {
                throw last;
            }
            server.createContext("/hook/", exchange -> {
                String body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                String id = exchange.getRequestHeaders().getFirst("webhook-id");
                String timestamp = exchange.getRequestHeaders().getFirst("webhook-timestamp");
                String signature = exchange.getRequestHeaders().getFirst("webhook-signature");
                JsonNode event = JSON.readTree(body);
                received.add(new Received(id, event.get("data").get("id").asString(), event.get("type").asString(),
                        verify(secret, id, timestamp, signature, body), Instant.now()));
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            server.setExecutor(Executors.newFixedThreadPool(4));
            server.start();
        }

        void stop() {
            if (server != null) {
                server.stop(0);
                server = null;
            }
        }

        static boolean verify(String secret, String id, String timestamp, String signatures, String body) {
            if (secret == null || id == null || timestamp == null || signatures == null) {
                return false;
            }
            if (Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) > 300) {
                return false;
            }
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.replaceFirst("^whsec_", "")),
                        "HmacSHA256"));
                byte[] expected = mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
                for (String candidate : signatures.split(" ")) {
                    if (candidate.startsWith("v1,") && MessageDigest.isEqual(expected,
                            Base64.getDecoder().decode(candidate.substring(3)))) {
                        return true;
                    }
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        }
    }

    // -------------------------------------------------------------------------------------------- helpers

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Whether the condition came true within the timeout (checked every 250 ms). */
    static boolean await(Duration timeout, BooleanSupplier condition) {
        try {
            Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(250))
                    .until(condition::getAsBoolean);
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
