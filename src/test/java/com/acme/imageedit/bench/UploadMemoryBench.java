package com.acme.imageedit.bench;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

/**
 * Issue #16, memory-bounded uploads (bench/upload-memory.sh): the packaged service ({@code java -jar}) on a small heap
 * ({@code -Xmx256m -XX:+ExitOnOutOfMemoryError} by default) with its default bound on bodies in flight (a quarter of
 * the heap), under 40 clients that each send 14 MB JSON submits back to back, while a few clients send 1 MB JSON
 * submits of a real image. In one run:
 * <ol>
 * <li>warm-up, then the heap after a forced GC with nothing in flight (idle);</li>
 * <li>unloaded: only the 1 MB clients, for a fixed time: their accepted submits per second;</li>
 * <li>loaded: the 14 MB clients start (each honours {@code Retry-After} and sends {@code Expect: 100-continue}, as curl
 * does for bodies over 1 MB), and the same 1 MB clients run the same time again; the bound's use is sampled from
 * {@code /actuator/prometheus}, the heap after every GC from the {@code -Xlog:gc} file;</li>
 * <li>the heap after a forced GC once the 14 MB clients stopped and nothing is in flight;</li>
 * <li>waiting submits: a few OpenAI-style submits of the largest image that wait for their job (workers are off, so
 * they wait their whole {@code Prefer: wait}), and the heap after a forced GC while they wait.</li>
 * </ol>
 * Every answer must be 202 or a clean refusal (a problem+json 503 with Retry-After, or 415 for the 14 MB submits when
 * their image is no image); the service must be alive with no OutOfMemoryError in its log. The job tables are emptied
 * between phases so that every phase starts from the same database.
 *
 * <p>The 1 MB submits come at a fixed rate ({@code smallLoad} a number: submits per second, open loop, as clients
 * that do not wait for each other), or from {@code closed:N} clients that each send the next as soon as the last was
 * answered (the most the replica does: two closed loops on the same cores then share them).
 *
 * <p>Args: postgresPort jar outDir configFile [seconds=30] [bigClients=40] [smallLoad=8] [heap=256m]
 * [bigImage=invalid|valid] [waiters=4].
 */
public final class UploadMemoryBench {

    private static final String KEY = "bench-key";
    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?im)^content-length:\\s*(\\d+)");
    private static final Pattern RETRY_AFTER = Pattern.compile("(?im)^retry-after:\\s*(\\d+)");

    private UploadMemoryBench() {
    }

    public static void run(String[] args) throws Exception {
        int postgresPort = Integer.parseInt(args[0]);
        Path jar = Path.of(args[1]);
        Path out = Path.of(args[2]);
        Path config = Path.of(args[3]).toAbsolutePath();
        int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 30;
        int bigClients = args.length > 5 ? Integer.parseInt(args[5]) : 40;
        SmallLoad smallLoad = SmallLoad.parse(args.length > 6 ? args[6] : "8");
        String heap = args.length > 7 ? args[7] : "256m";
        boolean bigValid = args.length > 8 && args[8].equals("valid");
        int waiters = args.length > 9 ? Integer.parseInt(args[9]) : 4;
        Files.createDirectories(out);

        Random random = new Random(16);
        byte[] small = json(noisePng(500, 500, random));
        byte[] bigImage = bigValid ? noisePng(1860, 1860, random) : randomBytes(10_400_000, random);
        byte[] big = json(bigImage);
        byte[] largest = json(noisePng(1860, 1860, random));
        System.out.printf(Locale.ROOT, "UPLOAD small submit %d bytes (a %d-byte PNG); big submit %d bytes (%s, %d "
                        + "bytes); %d big clients; 1 MB submits: %s; %d s a phase, -Xmx%s%n", small.length,
                small.length * 3 / 4, big.length, bigValid ? "a PNG" : "random bytes, no image", bigImage.length,
                bigClients, smallLoad, seconds, heap);

        String jdbc = "jdbc:postgresql://127.0.0.1:" + postgresPort + "/imageedit";
        List<String> jvm = List.of("-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError");
        List<String> serviceArgs = List.of("--spring.config.additional-location=file:" + config);
        try (ServiceProcess service = ServiceProcess.start(jar, out, "upload-service", postgresPort, jvm, serviceArgs);
             Connection db = DriverManager.getConnection(jdbc, "postgres", "postgres")) {
            int port = service.baseUrl().getPort();
            System.out.printf(Locale.ROOT, "UPLOAD service pid %d; bound on bodies in flight %.1f MB; load average "
                    + "before: %s%n", service.pid(), metric(service, "imageedit_request_bodies_limit_bytes") / 1e6,
                    loadAverage());

            // Warm-up: the JIT, the pools, a few refusals.
            Phase warmup = new Phase("warm-up");
            runSmall(port, small, smallLoad, Duration.ofSeconds(Math.max(10, seconds / 2)), warmup);
            reset(db);
            long idle = service.heapAfterForcedGc();
            Files.writeString(out.resolve("histogram-idle.txt"), service.jcmd("GC.class_histogram"));

            Phase unloaded = new Phase("unloaded");
            runSmall(port, small, smallLoad, Duration.ofSeconds(seconds), unloaded);
            reset(db);

            Phase loaded = new Phase("loaded");
            Phase bigPhase = new Phase("14 MB clients");
            int gcBefore = gcLines(service);
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService bigPool = Executors.newFixedThreadPool(bigClients);
            List<Future<?>> bigLoops = new ArrayList<>();
            for (int i = 0; i < bigClients; i++) {
                bigLoops.add(bigPool.submit(() -> bigLoop(port, big, stop, bigPhase)));
            }
            AtomicLong peakInFlight = new AtomicLong();
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    try {
                        peakInFlight.accumulateAndGet((long) metric(service,
                                "imageedit_request_bodies_inflight_bytes"), Math::max);
                        Thread.sleep(250);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            sampler.start();
            Thread.sleep(3000);
            runSmall(port, small, smallLoad, Duration.ofSeconds(seconds), loaded);
            stop.set(true);
            for (Future<?> loop : bigLoops) {
                loop.get(5, TimeUnit.MINUTES);
            }
            bigPool.shutdown();
            sampling.set(false);
            sampler.join();
            long maxAfterGcDuringLoad = maxHeapAfterGc(service, gcBefore);
            boolean aliveAfterLoad = service.isAlive();
            if (!aliveAfterLoad) {
                // (a build without the bound: ExitOnOutOfMemoryError ended it)
                System.out.printf(Locale.ROOT, "UPLOAD the service died under the load; 1 MB answers %s, 14 MB "
                        + "answers %s%nUPLOAD RESULT FAIL: the service died%n", loaded.statuses(), bigPhase.statuses());
                return;
            }
            awaitNothingInFlight(service);
            long after = service.heapAfterForcedGc();
            Files.writeString(out.resolve("histogram-after.txt"), service.jcmd("GC.class_histogram"));
            reset(db);

            // Waiting submits of the largest image: accepted, then waiting for jobs no worker takes.
            Phase waiting = new Phase("waiting submits");
            ExecutorService waitPool = Executors.newFixedThreadPool(Math.max(1, waiters));
            List<Future<?>> waits = new ArrayList<>();
            for (int i = 0; i < waiters; i++) {
                waits.add(waitPool.submit(() -> {
                    // a refusal is tried again after its Retry-After, as a client would
                    for (int attempt = 0; attempt < 20; attempt++) {
                        Answer answer = post(port, "/v1/images/edits", largest, true, "Prefer: wait=" + (seconds + 20));
                        waiting.record(answer);
                        if (answer.status != 503) {
                            break;
                        }
                        Thread.sleep(answer.retryAfter * 1000L);
                    }
                    return null;
                }));
            }
            long waitingHeap = -1;
            long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            while (System.nanoTime() < deadline && count(db, "select count(*) from jobs") < waiters) {
                Thread.sleep(200);
            }
            long storedWaiting = count(db, "select count(*) from jobs");
            if (storedWaiting == waiters) {
                awaitNothingInFlight(service);
                waitingHeap = service.heapAfterForcedGc();
            }
            for (Future<?> wait : waits) {
                wait.get(5, TimeUnit.MINUTES);
            }
            waitPool.shutdown();
            reset(db);

            boolean oom = Files.readString(out.resolve("upload-service.log")).contains("OutOfMemoryError");
            boolean alive = service.isAlive();
            double ratio = loaded.rate(KIND_SMALL) / unloaded.rate(KIND_SMALL);

            StringBuilder table = new StringBuilder();
            table.append("| phase | 1 MB submits: 202/s | p50 ms | p99 ms | 1 MB answers | 14 MB answers |\n")
                    .append("|---|---|---|---|---|---|\n");
            for (Phase phase : List.of(unloaded, loaded)) {
                table.append(String.format(Locale.ROOT, "| %s | %.1f | %.0f | %.0f | %s | %s |%n", phase.name,
                        phase.rate(KIND_SMALL), phase.percentile(50), phase.percentile(99), phase.statuses(),
                        phase == loaded ? bigPhase.statuses() : "—"));
            }
            table.append(String.format(Locale.ROOT, "%nheap after forced GC: idle %.1f MB, after the load %.1f MB "
                            + "(%+.1f MB), with %d OpenAI-style submits of a %d-byte image waiting %s; largest heap after "
                            + "a young or full GC during the load %d MB of %s; peak of bodies in flight %.1f MB%n", idle / 1e6,
                    after / 1e6, (after - idle) / 1e6, waiters, largest.length * 3 / 4,
                    waitingHeap < 0 ? "(not all stored in time)" : String.format(Locale.ROOT, "%.1f MB (%+.1f MB)",
                            waitingHeap / 1e6, (waitingHeap - idle) / 1e6),
                    maxAfterGcDuringLoad, heap, peakInFlight.get() / 1e6));
            table.append(String.format(Locale.ROOT, "1 MB throughput loaded / unloaded: %.2f; waiting submits: %s;"
                    + " OutOfMemoryError in the log: %s; service alive: %s%n", ratio, waiting.statuses(),
                    oom ? "YES" : "no", alive && aliveAfterLoad ? "yes" : "NO"));
            Files.writeString(out.resolve("table.md"), table);
            System.out.print(table);

            List<String> failures = new ArrayList<>();
            failures.addAll(unloaded.unclean(false));
            failures.addAll(loaded.unclean(false));
            failures.addAll(bigPhase.unclean(!bigValid));
            failures.addAll(waiting.unclean(false));
            if (oom || !alive || !aliveAfterLoad) {
                failures.add("the service ran out of memory or died");
            }
            if (ratio < 0.8) {
                failures.add(String.format(Locale.ROOT, "1 MB throughput under load is %.2f of unloaded", ratio));
            }
            if (after - idle > 16_000_000) {
                failures.add(String.format(Locale.ROOT, "heap after the load is %.1f MB above idle",
                        (after - idle) / 1e6));
            }
            if (waitingHeap < 0 || waitingHeap - idle > 16_000_000) {
                failures.add("waiting submits hold memory: " + (waitingHeap < 0 ? "not stored" : String.format(
                        Locale.ROOT, "%.1f MB above idle", (waitingHeap - idle) / 1e6)));
            }
            System.out.println(failures.isEmpty() ? "UPLOAD RESULT pass" : "UPLOAD RESULT FAIL: " + failures);
        }
    }

    private static final String KIND_SMALL = "small";

    /** How the 1 MB submits come: {@code rate} a second (open loop), or from {@code clients} closed loops. */
    private record SmallLoad(double rate, int clients) {

        static SmallLoad parse(String text) {
            return text.startsWith("closed:") ? new SmallLoad(0, Integer.parseInt(text.substring(7)))
                    : new SmallLoad(Double.parseDouble(text), 0);
        }

        @Override
        public String toString() {
            return rate > 0 ? String.format(Locale.ROOT, "%.1f a second (open loop)", rate)
                    : clients + " closed-loop clients";
        }
    }

    private static void runSmall(int port, byte[] body, SmallLoad load, Duration duration, Phase phase)
            throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        long end = System.nanoTime() + duration.toNanos();
        List<Future<?>> requests = new ArrayList<>();
        phase.start();
        if (load.clients() > 0) {
            for (int i = 0; i < load.clients(); i++) {
                requests.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        smallSubmit(port, body, phase, true);
                    }
                    return null;
                }));
            }
        } else {
            long interval = (long) (1e9 / load.rate());
            for (long next = System.nanoTime(); next < end; next += interval) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                requests.add(pool.submit(() -> {
                    smallSubmit(port, body, phase, false);
                    return null;
                }));
            }
        }
        for (Future<?> request : requests) {
            request.get(10, TimeUnit.MINUTES);
        }
        phase.stop(duration);
        pool.shutdown();
    }

    private static void smallSubmit(int port, byte[] body, Phase phase, boolean honourRetryAfter)
            throws InterruptedException {
        long started = System.nanoTime();
        Answer answer = post(port, "/v1/images/edits?async=true", body, false, null);
        phase.record(answer);
        if (answer.status == 202) {
            phase.accepted(KIND_SMALL, (System.nanoTime() - started) / 1_000_000);
        } else if (honourRetryAfter && answer.retryAfter > 0) {
            Thread.sleep(answer.retryAfter * 1000L);
        }
    }

    private static Void bigLoop(int port, byte[] body, AtomicBoolean stop, Phase phase) throws InterruptedException {
        while (!stop.get()) {
            Answer answer = post(port, "/v1/images/edits?async=true", body, true, null);
            phase.record(answer);
            if (answer.retryAfter > 0) {
                Thread.sleep(answer.retryAfter * 1000L);
            } else if (answer.status == 0) {
                // no answer (a service that died): not a tight loop of refused connections
                Thread.sleep(100);
            }
        }
        return null;
    }

    /** One request on its own connection; with {@code expectContinue}, the body only after a 100 Continue. */
    private static Answer post(int port, String path, byte[] body, boolean expectContinue, String extraHeader) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(120_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + KEY + "\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n"
                    + (expectContinue ? "Expect: 100-continue\r\n" : "")
                    + (extraHeader == null ? "" : extraHeader + "\r\n") + "Connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head;
            if (expectContinue) {
                head = head(in);
                if (head.startsWith("HTTP/1.1 100")) {
                    out.write(body);
                    out.flush();
                    head = head(in);
                }
            } else {
                out.write(body);
                out.flush();
                head = head(in);
            }
            if (head.length() < 12) {
                return Answer.unclean("closed without an answer");
            }
            Matcher length = CONTENT_LENGTH.matcher(head);
            byte[] answerBody = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : in.readAllBytes();
            Matcher retryAfter = RETRY_AFTER.matcher(head);
            int status = Integer.parseInt(head.substring(9, 12));
            boolean problem = head.toLowerCase(Locale.ROOT).contains("content-type: application/problem+json");
            return new Answer(status, problem, retryAfter.find() ? Integer.parseInt(retryAfter.group(1)) : 0,
                    status >= 400 ? new String(answerBody, StandardCharsets.UTF_8) : "");
        } catch (IOException e) {
            return Answer.unclean(e.toString());
        }
    }

    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private record Answer(int status, boolean problem, int retryAfter, String text) {

        static Answer unclean(String why) {
            return new Answer(0, false, 0, why);
        }
    }

    /** Answers and latencies of one phase. */
    private static final class Phase {

        private final String name;
        private final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        private final ConcurrentLinkedQueue<String> unclean = new ConcurrentLinkedQueue<>();
        private final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        private final Map<String, LongAdder> accepted = new ConcurrentHashMap<>();
        private long startedAt;
        private long stoppedAt;

        Phase(String name) {
            this.name = name;
        }

        void start() {
            startedAt = System.nanoTime();
        }

        /** The phase lasted {@code duration}: the rate is over it (answers that came later count too). */
        void stop(Duration duration) {
            stoppedAt = startedAt + duration.toNanos();
        }

        void record(Answer answer) {
            String key = answer.status == 0 ? "reset" : answer.status == 503 && answer.problem && answer.retryAfter > 0
                    ? "503" : answer.status == 202 ? "202" : answer.status + (answer.problem ? "" : " (not a problem)");
            statuses.computeIfAbsent(key, k -> new LongAdder()).increment();
            if (!key.equals("202") && !key.equals("503") && !key.equals("415") && unclean.size() < 20) {
                unclean.add(key + ": " + answer.text.substring(0, Math.min(300, answer.text.length())));
            }
        }

        void accepted(String kind, long latencyMs) {
            accepted.computeIfAbsent(kind, k -> new LongAdder()).increment();
            latencies.add(latencyMs);
        }

        double rate(String kind) {
            LongAdder count = accepted.get(kind);
            return count == null ? 0 : count.sum() / ((stoppedAt - startedAt) / 1e9);
        }

        double percentile(int p) {
            List<Long> sorted = new ArrayList<>(latencies);
            sorted.sort(null);
            return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1,
                    (int) Math.ceil(sorted.size() * p / 100.0) - 1));
        }

        String statuses() {
            Map<String, Long> sorted = new TreeMap<>();
            statuses.forEach((k, v) -> sorted.put(k, v.sum()));
            return sorted.toString();
        }

        /** Answers that are neither 202 nor a clean refusal (415 only where the images are no images). */
        List<String> unclean(boolean unsupportedExpected) {
            List<String> bad = new ArrayList<>();
            statuses.forEach((key, count) -> {
                if (!key.equals("202") && !key.equals("503") && !(unsupportedExpected && key.equals("415"))) {
                    bad.add(name + ": " + count.sum() + " x " + key);
                }
            });
            if (!bad.isEmpty()) {
                bad.addAll(unclean);
            }
            return bad;
        }
    }

    private static byte[] json(byte[] image) {
        return ("{\"model\":\"qwen/qwen-image-edit\",\"prompt\":\"Turn this scene into a watercolor painting\","
                + "\"image\":\"" + Base64.getEncoder().encodeToString(image) + "\"}").getBytes(StandardCharsets.US_ASCII);
    }

    /** A real PNG of noise: incompressible, so its size is about width × height × 3. */
    private static byte[] noisePng(int width, int height, Random random) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        return png.toByteArray();
    }

    private static byte[] randomBytes(int size, Random random) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return bytes;
    }

    private static double metric(ServiceProcess service, String name) throws IOException, InterruptedException {
        return ServiceProcess.metric(service.scrape(), name);
    }

    private static void awaitNothingInFlight(ServiceProcess service) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        // (NaN, never above 0, for a build without the gauge)
        while (metric(service, "imageedit_request_bodies_inflight_bytes") > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("bodies still in flight after 60 s");
            }
            Thread.sleep(100);
        }
    }

    /** Young and full collections: their "after" is what survived (a remark's "A->A" only marks). */
    private static final Pattern COLLECTED = Pattern.compile("Pause (Young|Full).* (\\d+)M->(\\d+)M\\(");

    private static int gcLines(ServiceProcess service) throws IOException {
        return Files.readAllLines(service.gcLog()).size();
    }

    /** The largest heap after a young or full GC, in MB, among the GC log's lines after the first {@code skip}. */
    private static long maxHeapAfterGc(ServiceProcess service, int skip) throws IOException {
        long max = 0;
        List<String> lines = Files.readAllLines(service.gcLog());
        for (String line : lines.subList(Math.min(skip, lines.size()), lines.size())) {
            Matcher collected = COLLECTED.matcher(line);
            if (collected.find()) {
                max = Math.max(max, Long.parseLong(collected.group(3)));
            }
        }
        return max;
    }

    private static void reset(Connection db) throws Exception {
        try (Statement statement = db.createStatement()) {
            statement.execute("truncate jobs, job_images, idempotency_keys, spend_ledger cascade");
            statement.execute("checkpoint");
        }
    }

    private static long count(Connection db, String sql) throws Exception {
        try (Statement statement = db.createStatement(); var rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }
}
