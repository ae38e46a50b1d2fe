package com.acme.imageedit.simulator;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * A fake TheRouter on its own HTTP server (its paths equal the proxy's own {@code /v1/...} paths, so it cannot share
 * the application's server). Tests and benchmarks use this handle to find it, read its counters and change its faults.
 */
public final class TheRouterSimulator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TheRouterSimulator.class);

    private final SimulatorEngine engine;
    private final DisposableServer server;
    private final DisposableServer secondServer;
    private final LoopResources loops;
    private final URI baseUrl;
    private final URI secondHostUrl;

    private TheRouterSimulator(SimulatorEngine engine, DisposableServer server, DisposableServer secondServer,
                               LoopResources loops, URI baseUrl, URI secondHostUrl) {
        this.engine = engine;
        this.server = server;
        this.secondServer = secondServer;
        this.loops = loops;
        this.baseUrl = baseUrl;
        this.secondHostUrl = secondHostUrl;
    }

    /** Binds the server before returning, so that {@link #baseUrl()} carries the real port (also for port 0). */
    static TheRouterSimulator start(SimulatorProperties properties) {
        SimulatorEngine engine = new SimulatorEngine(properties);
        SimulatorRoutes routes = new SimulatorRoutes(engine);
        // Its own event loops, not Reactor Netty's global ones: an application context that closes disposes those, and
        // the simulator stands for a separate host that must outlive any one context (several share it in tests).
        LoopResources loops = LoopResources.create("simulator", 1, 2, true);
        DisposableServer secondServer = null;
        URI secondHostUrl = null;
        if (properties.results() == ResultHost.SECOND_HOST) {
            // another port on the same interface: another origin, as a CDN or object store is
            secondServer = bind(routes.secondHostRoutes(), loops, properties.host(), 0);
            secondHostUrl = URI.create("http://" + advertised(properties.host()) + ":" + secondServer.port());
            engine.secondHost(secondHostUrl);
        }
        DisposableServer server = bind(routes.routes(), loops, properties.host(), properties.port());
        URI baseUrl = URI.create("http://" + advertised(properties.host()) + ":" + server.port());
        log.info("TheRouter simulator listening on {}{}{}", baseUrl, secondHostUrl == null ? "" : ", results on ",
                secondHostUrl == null ? "" : secondHostUrl);
        return new TheRouterSimulator(engine, server, secondServer, loops, baseUrl, secondHostUrl);
    }

    private static DisposableServer bind(RouterFunction<ServerResponse> routes, LoopResources loops, String host,
                                         int port) {
        HttpHandler handler = RouterFunctions.toHttpHandler(routes,
                HandlerStrategies.builder().webFilter(new RequestIdFilter()).build());
        return HttpServer.create()
                .runOn(loops)
                .host(host)
                .port(port)
                .handle(new ReactorHttpHandlerAdapter(handler))
                .bindNow();
    }

    /** Where to send TheRouter calls, e.g. {@code http://127.0.0.1:41234}; no trailing slash. */
    public URI baseUrl() {
        return baseUrl;
    }

    /** Where results are served from (configured by {@code simulator.results}). */
    public ResultHost results() {
        return engine.properties().results();
    }

    /** The second host's address with {@link ResultHost#SECOND_HOST}, else empty. */
    public Optional<URI> secondHostUrl() {
        return Optional.ofNullable(secondHostUrl);
    }

    /** True when request bodies sent chunked are refused with 411 ({@code simulator.refuse-chunked-requests}). */
    public boolean refusesChunkedRequests() {
        return engine.properties().refuseChunkedRequests();
    }

    public SimulatorStats stats() {
        return engine.stats();
    }

    /** Forgets all jobs and counters and restores the configured faults and rate limit. */
    public void reset() {
        engine.reset();
    }

    /** The failure mix and rate limit in force now. */
    public SimulatorFaults faults() {
        return engine.faults();
    }

    /** Replaces the failure mix and rate limit until the next call or {@link #reset()}; the bucket starts full. */
    public void setFaults(SimulatorFaults faults) {
        engine.setFaults(faults);
    }

    /** Makes the edge sick as described until the outage ends, replacing any earlier one; {@code null} heals it. */
    public void setOutage(SimulatorOutage outage) {
        engine.setOutage(outage);
    }

    /** When each submit request arrived (authenticated, before any outage or rate limit), since start or reset. */
    public java.util.List<Instant> submitArrivals() {
        return engine.submitArrivals();
    }

    /**
     * Each served poll ({@code GET /v1/jobs/{id}}, after authentication, outage and rate limit) with the id asked for and
     * when it arrived, in arrival order, since start or reset; at most the first 250,000. For checking the order and
     * pace of polls against the jobs' due times.
     */
    public java.util.List<PollArrival> pollArrivals() {
        return engine.pollArrivals();
    }

    /**
     * When the job reaches (or reached) its terminal status upstream, fixed at submit; empty for an unknown id or a job
     * that never finishes. Comparing it with the proxy's own completion time gives the detection lag.
     */
    public Optional<Instant> completedAt(String upstreamId) {
        return engine.completedAt(upstreamId);
    }

    /**
     * The ids of the jobs accepted since start or reset, grouped by prompt: with one unique prompt per proxy job, a list
     * longer than one is that job submitted (and paid) twice, and a prompt unknown to the proxy is a job it lost.
     */
    public java.util.Map<String, java.util.List<String>> upstreamIdsByPrompt() {
        return engine.idsByPrompt();
    }

    /**
     * Makes an accepted job end {@code failed} now, as if the GPU behind TheRouter had given up: for tests that need a
     * particular job to fail after it was submitted. Answers false for an id the simulator does not know.
     */
    public boolean failNow(String upstreamId) {
        return engine.finishNow(upstreamId, JobOutcome.FAILED);
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
        if (secondServer != null) {
            secondServer.disposeNow(Duration.ofSeconds(5));
        }
        loops.dispose();
    }

    // a wildcard bind address is not something a client can connect to
    private static String advertised(String host) {
        if (host.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
            return "[::1]";
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
