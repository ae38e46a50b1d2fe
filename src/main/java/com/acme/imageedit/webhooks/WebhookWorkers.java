package com.acme.imageedit.webhooks;

import com.acme.imageedit.jobs.JobFinished;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Runs this replica's webhook sender and stops it gracefully: stop claiming, give deliveries in flight up to
 * {@code webhooks.shutdown-timeout} to finish, then abandon the rest (their leases run out and another replica sends
 * them again). Stops before the web server and the connection pool, which later lifecycle phases close.
 */
@Component
class WebhookWorkers implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WebhookWorkers.class);

    private final WebhookSender sender;
    private final WebhooksProperties properties;
    private final SenderLoop loop;
    private volatile boolean running;

    WebhookWorkers(WebhookSender sender, WebhooksProperties properties) {
        this.sender = sender;
        this.properties = properties;
        this.loop = new SenderLoop(sender::round, properties.idleDelay(), properties.maxErrorBackoff());
        sender.onSlotFreed(loop::wake);
    }

    /** A job that ended on this replica has just written its deliveries: send them now, not after the idle pause. */
    @EventListener
    void onJobFinished(JobFinished finished) {
        loop.wake();
    }

    void wake() {
        loop.wake();
    }

    @Override
    public void start() {
        if (!properties.enabled()) {
            log.info("Webhook sender disabled on this replica (webhooks.enabled=false)");
            return;
        }
        loop.start();
        running = true;
    }

    @Override
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        long deadline = System.nanoTime() + properties.shutdownTimeout().toNanos();
        loop.requestStop();
        loop.awaitStopped(properties.shutdownTimeout());
        try {
            sender.awaitIdle(deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (sender.inFlight() > 0) {
            log.warn("Webhook sender stopped with {} deliveries in flight; they are sent again when their lease ends",
                    sender.inFlight());
            sender.abandonInFlight();
        }
        log.info("Webhook sender stopped");
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
