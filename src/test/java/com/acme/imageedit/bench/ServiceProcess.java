package com.acme.imageedit.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * The packaged service ({@code java -jar}) as a separate process for benchmarks and soak runs, with what they read from
 * outside: readiness, {@code /actuator/prometheus}, {@code jcmd} (forced GC, heap), {@code /proc} (file descriptors,
 * RSS) and the {@code -Xlog:gc} file. Loopback only.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path gcLog;

    private ServiceProcess(Process process, int port, int managementPort, Path gcLog) {
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.gcLog = gcLog;
    }

    /**
     * Starts {@code java [jvmOptions] -Xlog:gc:file=<logDir>/<name>-gc.log -jar jar --server.port=<free>
     * --management.server.port=<free> [args]} with
     * the database settings in its environment, output to {@code <logDir>/<name>.log}, and waits until it is ready.
     */
    public static ServiceProcess start(Path jar, Path logDir, String name, int postgresPort, List<String> jvmOptions,
                                       List<String> args) throws IOException, InterruptedException {
        int port = freePort();
        int managementPort = freePort();
        Files.createDirectories(logDir);
        Path gcLog = logDir.resolve(name + "-gc.log");
        List<String> command = new ArrayList<>(List.of("java"));
        command.addAll(jvmOptions);
        command.add("-Xlog:gc:file=" + gcLog);
        command.addAll(List.of("-jar", jar.toString(), "--server.port=" + port,
                "--management.server.port=" + managementPort));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logDir.resolve(name + ".log").toFile());
        Map<String, String> env = builder.environment();
        env.put("DB_HOST", "127.0.0.1");
        env.put("DB_PORT", Integer.toString(postgresPort));
        env.put("DB_NAME", "imageedit");
        env.put("DB_USER", "postgres");
        env.put("DB_PASSWORD", "postgres");
        // public: the benchmarks' webhook secrets protect nothing
        env.put("WEBHOOKS_SECRET_ENCRYPTION_KEY", "YmVuY2gta2V5LXB1YmxpYy1uZXZlci1mb3ItcHJvZCE=");
        ServiceProcess service = new ServiceProcess(builder.start(), port, managementPort, gcLog);
        service.awaitReady(Duration.ofSeconds(180));
        return service;
    }

    public static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Health and metrics: the management port. */
    public URI managementUrl() {
        return URI.create("http://127.0.0.1:" + managementPort);
    }

    public long pid() {
        return process.pid();
    }

    private void awaitReady(Duration timeout) {
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(250)).until(this::ready);
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("the service was not ready within " + timeout);
        }
    }

    /** Readiness answers 200; a service that exited fails the wait at once. */
    private boolean ready() throws InterruptedException {
        if (!process.isAlive()) {
            throw new IllegalStateException("the service exited with " + process.exitValue() + " while starting");
        }
        try {
            return HTTP.send(HttpRequest.newBuilder(managementUrl().resolve("/actuator/health/readiness"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode() == 200;
        } catch (IOException notYet) {
            return false; // not listening yet
        }
    }

    /** The Prometheus scrape as text. */
    public String scrape() throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(managementUrl().resolve("/actuator/prometheus"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sum of every sample of {@code metric} whose labels contain all of {@code labelParts}; NaN if none. */
    public static double metric(String scrape, String metric, String... labelParts) {
        double sum = 0;
        boolean found = false;
        for (String line : scrape.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(metric + "{") || line.startsWith(metric + " "))) {
                continue;
            }
            boolean matches = true;
            for (String part : labelParts) {
                matches &= line.contains(part);
            }
            if (matches) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? sum : Double.NaN;
    }

    /** Runs a full GC in the service ({@code jcmd GC.run}) and answers the heap then in use, in bytes. */
    public long heapAfterForcedGc() throws IOException, InterruptedException {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        Matcher used = Pattern.compile("total (\\d+)K, used (\\d+)K").matcher(info);
        if (!used.find()) {
            throw new IllegalStateException("unexpected GC.heap_info: " + info);
        }
        return Long.parseLong(used.group(2)) * 1024;
    }

    /** The largest and the last heap size after a GC in the {@code -Xlog:gc} file so far, in MB: {max, last, count}. */
    public long[] heapAfterGcFromLog() throws IOException {
        long max = 0;
        long last = 0;
        long count = 0;
        Matcher m = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)").matcher(Files.readString(gcLog));
        while (m.find()) {
            last = Long.parseLong(m.group(2));
            max = Math.max(max, last);
            count++;
        }
        return new long[] {max, last, count};
    }

    /** The {@code -Xlog:gc} file. */
    public Path gcLog() {
        return gcLog;
    }

    /** Whether the process is still running (a JVM that ran out of memory with ExitOnOutOfMemoryError is not). */
    public boolean isAlive() {
        return process.isAlive();
    }

    public String jcmd(String command) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder("jcmd", Long.toString(pid()), command).redirectErrorStream(true).start();
        String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + command + " failed: " + out);
        }
        return out;
    }

    public long openFileDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
            return fds.count();
        }
    }

    /** Resident set size in KB, from /proc. */
    public long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        return -1;
    }

    /** SIGTERM (a graceful shutdown) and waits for the exit. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
