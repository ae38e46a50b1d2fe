package com.acme.imageedit.hostile;

import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.r2dbc.core.DatabaseClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property-based tests of hostile input against a running service over raw HTTP: for every generated request the
 * service answers below 500, a 4xx it writes itself is problem+json, a refused request stores nothing (no job, no
 * input image, no idempotency key), an accepted one stores exactly one job, a decompression bomb is refused from its
 * header within a second, and the service is still healthy at the end.
 *
 * <p>Generation is seeded: each run draws a seed (printed) unless {@code -Dhostile.seed=N} fixes it, and a failure
 * names the seed, the try and the case. {@code -Dhostile.tries=N} sets the tries per property (default 250).
 *
 * <p>The service is its own replica on a fresh database with its workers off, so that the row counts are its alone
 * and accepted jobs stay queued (no upstream involved).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {

    static final long SEED = Long.getLong("hostile.seed", new SecureRandom().nextLong());
    static final int TRIES = Integer.getInteger("hostile.tries", 250);
    private static final Pattern STATUS_MEMBER = Pattern.compile("\"status\":(\\d{3})");
    /** Statuses Netty's HTTP codec answers on its own, without a body, for requests it cannot parse. */
    private static final java.util.Set<Integer> CODEC_REFUSALS = java.util.Set.of(400, 413, 414, 431);

    private final Replicas replicas = new Replicas();
    private int port;
    private int managementPort;
    private DatabaseClient db;

    @BeforeAll
    void start() {
        System.out.printf("[hostile] seed %d (rerun with -Dhostile.seed=%d), %d tries per property%n", SEED, SEED,
                TRIES);
        TestDatabase database = Replicas.freshDatabase();
        ConfigurableApplicationContext service = replicas.start(database, database, URI.create("http://127.0.0.1:9"),
                "hostile", "--dispatch.enabled=false", "--webhooks.enabled=false");
        port = Replicas.port(service);
        managementPort = Replicas.managementPort(service);
        db = service.getBean(DatabaseClient.class);
    }

    @AfterAll
    void stop() {
        replicas.close();
    }

    @Test
    void malformedMultipartSubmits() {
        property("multipart", HostileRequests::multipart);
    }

    @Test
    void malformedJsonSubmits() {
        property("json", HostileRequests::json);
    }

    @Test
    void junkHeaders() {
        property("headers", HostileRequests::headers);
    }

    @Test
    void pathTricksInJobIds() {
        property("ids", HostileRequests::ids);
    }

    @Test
    void badListCursorsAndLimits() {
        property("listing", HostileRequests::listing);
    }

    @Test
    void decompressionBombsAndLyingImages() {
        property("images", r -> imageSubmit(r));
    }

    private static HostileRequests.Case imageSubmit(Random r) {
        HostileImages.Image image = switch (r.nextInt(5)) {
            case 0 -> HostileImages.pngBomb(r);
            case 1 -> HostileImages.jpegBomb(r);
            case 2 -> HostileImages.webpBomb(r);
            case 3 -> HostileImages.liar(r);
            default -> HostileImages.truncated(r);
        };
        String boundary = "img" + Long.toHexString(r.nextLong());
        byte[] body = HostileImages.concat(HostileImages.concat(
                ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nmake it blue\r\n--"
                        + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"in.png\"\r\n"
                        + "Content-Type: image/png\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                image.bytes()), ("\r\n--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        byte[] request = HostileRequests.Head.post("/v1/images/edits?async=true")
                .header("Authorization", "Bearer " + HostileRequests.KEY)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary).with(body);
        return new HostileRequests.Case("image: " + image.description(), request,
                image.refusal() == null ? HostileRequests.Expect.EITHER : HostileRequests.Expect.REFUSE, true);
    }

    private void property(String name, Function<Random, HostileRequests.Case> generator) {
        Random random = new Random(SEED ^ name.hashCode());
        Map<String, Integer> answers = new TreeMap<>();
        long slowestMs = 0;
        for (int i = 0; i < TRIES; i++) {
            HostileRequests.Case c = generator.apply(random);
            try {
                long elapsed = judge(c, answers);
                slowestMs = Math.max(slowestMs, elapsed);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("property '" + name + "' failed at try " + i + " of seed " + SEED
                        + " (-Dhostile.seed=" + SEED + "): " + c, e);
            }
        }
        RawHttp.Answer health = RawHttp.exchange(managementPort, HostileRequests.Head.get("/actuator/health"));
        assertThat(health.status()).as("health after '%s': %s", name, health).isEqualTo(200);
        assertThat(health.bodyText()).contains("\"status\":\"UP\"");
        System.out.printf("[hostile] %s: %d tries, answers %s, slowest %d ms%n", name, TRIES, answers, slowestMs);
    }

    /** Sends one case and checks every rule; answers how long the service took. */
    private long judge(HostileRequests.Case c, Map<String, Integer> answers) {
        Counts before = counts();
        long started = System.nanoTime();
        RawHttp.Answer answer = RawHttp.exchange(port, c.request());
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        Counts after = counts();
        String key = answer.answered() ? String.valueOf(answer.status()) : "closed";
        if (answer.answered() && answer.status() >= 400 && answer.body().length == 0) {
            key += "(codec)";
        }
        answers.merge(key, 1, Integer::sum);

        assertThat(answer.answered()).as("the service answers (%s)", answer).isTrue();
        assertThat(answer.status()).as("no 5xx: %s", answer).isLessThan(500);
        if (answer.status() >= 400) {
            if (answer.body().length == 0) {
                assertThat(answer.status()).as("a bodiless refusal is the HTTP codec's: %s", answer)
                        .isIn(CODEC_REFUSALS);
            } else {
                assertThat(answer.header("content-type")).as("problem+json: %s", answer)
                        .startsWith("application/problem+json");
                Matcher status = STATUS_MEMBER.matcher(answer.bodyText());
                assertThat(status.find()).as("status member: %s", answer).isTrue();
                assertThat(Integer.parseInt(status.group(1))).isEqualTo(answer.status());
            }
            assertThat(after).as("a refused request stores nothing").isEqualTo(before);
        } else {
            assertThat(c.expect()).as("must be refused, was answered %s", answer)
                    .isEqualTo(HostileRequests.Expect.EITHER);
            if (c.submit()) {
                boolean replayed = "true".equals(answer.header("idempotent-replayed"));
                assertThat(after.jobs()).as("jobs after an accepted submit (replayed: %s)", replayed)
                        .isEqualTo(before.jobs() + (replayed ? 0 : 1));
            } else {
                assertThat(after).as("a read stores nothing").isEqualTo(before);
            }
        }
        if (c.description().contains("bomb")) {
            assertThat(elapsedMs).as("a bomb is refused from its header, not decoded").isLessThan(2_000);
        }
        return elapsedMs;
    }

    record Counts(long jobs, long images, long idempotencyKeys) {
    }

    private Counts counts() {
        return db.sql("select (select count(*) from jobs), (select count(*) from job_images), "
                        + "(select count(*) from idempotency_keys)")
                .map((row, meta) -> new Counts(row.get(0, Long.class), row.get(1, Long.class),
                        row.get(2, Long.class)))
                .one().block(Duration.ofSeconds(10));
    }
}
