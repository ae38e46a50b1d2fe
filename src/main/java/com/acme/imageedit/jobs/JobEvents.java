package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Wrapped;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tells waiting requests and event streams on this replica that a job changed, wherever it changed. A job may finish on
 * any replica, so the source is PostgreSQL: one connection per replica LISTENs on {@code job_events}, which a trigger
 * NOTIFYs in the transaction of every public status change (V5). Jobs finished on this replica also signal at once
 * through {@link JobFinished}. Subscribers are kept per job id, so a signal costs a map lookup however many wait.
 * <p>
 * A signal is only a hint: subscribers read the job from the database. After the listening connection is lost (and
 * re-established) every subscriber is signalled, since notifications sent meanwhile are gone.
 */
@Component
class JobEvents implements SmartLifecycle {

    static final String CHANNEL = "job_events";
    /** Signalled after the listening connection was (re)established: notifications may have been missed. */
    static final String RESYNC = "resync";
    /** Signalled when this replica stops: waits and streams end now rather than hold up the shutdown. */
    static final String SHUTDOWN = "shutdown";
    private static final Logger log = LoggerFactory.getLogger(JobEvents.class);

    private final ConnectionFactory connections;
    private final JsonMapper json;
    private final Map<String, Set<Consumer<String>>> subscribers = new ConcurrentHashMap<>();
    private volatile Disposable listening;

    JobEvents(ConnectionFactory connections, JsonMapper json) {
        this.connections = connections;
        this.json = json;
    }

    /** Emits the job's public status each time it changes (or {@link #RESYNC}, {@link #SHUTDOWN}), until cancelled. Never completes. */
    Flux<String> signals(String jobId) {
        return Flux.create(sink -> {
            Consumer<String> subscriber = sink::next;
            // Added inside compute: a concurrent last unsubscribe may not drop the set this subscriber joins.
            subscribers.compute(jobId, (id, set) -> {
                Set<Consumer<String>> joined = set == null ? ConcurrentHashMap.newKeySet() : set;
                joined.add(subscriber);
                return joined;
            });
            sink.onDispose(() -> subscribers.computeIfPresent(jobId, (id, set) -> {
                set.remove(subscriber);
                return set.isEmpty() ? null : set;
            }));
        });
    }

    int subscribedJobs() {
        return subscribers.size();
    }

    @EventListener
    void onJobFinished(JobFinished finished) {
        signal(finished.id(), finished.status().name());
    }

    private void signal(String jobId, String status) {
        Set<Consumer<String>> set = subscribers.get(jobId);
        if (set != null) {
            set.forEach(subscriber -> subscriber.accept(status));
        }
    }

    private void resyncAll() {
        subscribers.forEach((id, set) -> set.forEach(subscriber -> subscriber.accept(RESYNC)));
    }

    /** One LISTEN connection, taken from the pool and held; on loss it is replaced with backoff, forever. */
    private Flux<Void> listen() {
        return Flux.usingWhen(Mono.from(connections.create()),
                        connection -> {
                            PostgresqlConnection postgres = unwrap(connection);
                            return postgres.createStatement("LISTEN " + CHANNEL).execute()
                                    .flatMap(result -> result.getRowsUpdated())
                                    .thenMany(Flux.defer(() -> {
                                        log.debug("Listening for job events");
                                        resyncAll();
                                        return postgres.getNotifications();
                                    }))
                                    .doOnNext(notification -> onNotification(notification.getParameter()))
                                    .then();
                        },
                        Connection::close)
                // getNotifications() completes when the connection closes: that is a loss too.
                .concatWith(Mono.error(() -> new IllegalStateException("job event connection closed")))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(10))
                        .doBeforeRetry(s -> log.warn("Job event listener lost ({}); reconnecting",
                                s.failure().toString())));
    }

    private void onNotification(String payload) {
        try {
            JsonNode event = json.readTree(payload);
            signal(event.path("id").asString(), event.path("status").asString());
        } catch (RuntimeException e) {
            log.warn("Ignoring unreadable job event {}", payload, e);
        }
    }

    private static PostgresqlConnection unwrap(Connection connection) {
        Object current = connection;
        while (!(current instanceof PostgresqlConnection) && current instanceof Wrapped<?> wrapped) {
            current = wrapped.unwrap();
        }
        if (current instanceof PostgresqlConnection postgres) {
            return postgres;
        }
        throw new IllegalStateException("job events need r2dbc-postgresql; got " + connection.getClass());
    }

    @Override
    public void start() {
        listening = listen().subscribe();
    }

    /**
     * Ends every wait and stream on this replica before the web server drains its requests: a waiting client gets its
     * 202 at once, an event stream closes and its client reconnects (to another replica) with Last-Event-ID.
     */
    @Override
    public void stop() {
        Disposable current = listening;
        if (current != null) {
            current.dispose();
        }
        listening = null;
        subscribers.forEach((id, set) -> set.forEach(subscriber -> subscriber.accept(SHUTDOWN)));
    }

    @Override
    public boolean isRunning() {
        return listening != null;
    }
}
