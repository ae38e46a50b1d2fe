package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.acme.imageedit.jobs.JobAccepted;
import com.acme.imageedit.system.ReplicaIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Starts this replica's dispatcher, poller and reaper loops, and stops them gracefully: stop claiming, let in-flight
 * rounds finish (bounded), then give back whatever leases remain so that other replicas need not wait them out.
 * Stops before the web server and the connection pool, which later lifecycle phases close.
 */
@Component
class Workers implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Workers.class);

    private final DispatchProperties properties;
    private final JobClaims claims;
    private final ReplicaIdentity worker;
    private final WorkerLoop dispatcher;
    private final WorkerLoop poller;
    private final WorkerLoop reaper;
    private volatile boolean running;

    Workers(DispatchProperties properties, JobClaims claims, ReplicaIdentity worker, Dispatcher dispatcher,
            Poller poller, Reaper reaper) {
        this.properties = properties;
        this.claims = claims;
        this.worker = worker;
        this.dispatcher = new WorkerLoop("dispatcher", dispatcher::dispatchOnce, properties.batchSize(),
                properties.idleDelay(), properties.maxErrorBackoff());
        this.poller = new WorkerLoop("poller", poller::pollOnce, properties.batchSize(), properties.idleDelay(),
                properties.maxErrorBackoff(), poller::untilNextDue);
        this.reaper = new WorkerLoop("reaper", reaper::reapOnce, Integer.MAX_VALUE, properties.reaperInterval(),
                properties.maxErrorBackoff());
    }

    @EventListener
    void onJobAccepted(JobAccepted accepted) {
        dispatcher.wake();
    }

    @Override
    public void start() {
        if (!properties.enabled()) {
            log.info("Workers disabled on this replica (dispatch.enabled=false)");
            return;
        }
        loops().forEach(WorkerLoop::start);
        running = true;
        log.info("Workers started as {}", worker.id());
    }

    @Override
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        long deadline = System.nanoTime() + properties.shutdownTimeout().toNanos();
        loops().forEach(WorkerLoop::requestStop);
        for (WorkerLoop loop : loops()) {
            loop.awaitStopped(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        try {
            // Shutdown runs on a plain thread that must wait for this, so waiting here blocks nothing reactive.
            Long released = claims.releaseLeases(worker.id()).toFuture().get(5, TimeUnit.SECONDS);
            log.info("Workers stopped; {} leases given back", released);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Workers stopped; could not give back leases ({}): they expire by themselves", e.toString());
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private List<WorkerLoop> loops() {
        return List.of(dispatcher, poller, reaper);
    }
}
