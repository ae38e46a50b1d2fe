package com.acme.imageedit.simulator;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The simulated upstream's state and decisions, free of HTTP so that the rules read in one place. */
final class SimulatorEngine {

    private static final String ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    /** About 25 MB at most: enough for minutes of polls at hundreds per second. */
    static final int MAX_POLL_ARRIVALS = 250_000;

    private final SimulatorProperties properties;
    private final DurationSampler sampler;
    private final ResultRenderer renderer = new ResultRenderer();
    private final Counters counters = new Counters();
    private final Map<String, SimJob> jobs = new ConcurrentHashMap<>();
    // inputs are kept only for jobs that will succeed, and only until their result is rendered
    private final Map<String, byte[]> inputs = new ConcurrentHashMap<>();
    private final Map<String, Mono<byte[]>> results = new ConcurrentHashMap<>();
    private final Set<String> prompts = ConcurrentHashMap.newKeySet();
    // faults and their bucket are swapped together so a request never sees a rate with the other rate's bucket
    private volatile Limits limits;
    private volatile SimulatorOutage outage;
    private volatile URI secondHost;
    private final java.util.concurrent.atomic.AtomicInteger outageCalls = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.Queue<Instant> submitArrivals = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.Queue<PollArrival> pollArrivals = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicInteger pollArrivalCount =
            new java.util.concurrent.atomic.AtomicInteger();

    private record Limits(SimulatorFaults faults, TokenBucket bucket) {

        static Limits of(SimulatorFaults faults) {
            TokenBucket bucket = faults.rateLimitPerSecond() > 0
                    ? new TokenBucket(faults.rateLimitPerSecond(), faults.effectiveBurst())
                    : null;
            return new Limits(faults, bucket);
        }
    }

    SimulatorEngine(SimulatorProperties properties) {
        this.properties = properties;
        this.sampler = new DurationSampler(properties.duration(), properties.timeScale());
        this.limits = Limits.of(properties.faults());
    }

    Counters counters() {
        return counters;
    }

    SimulatorProperties properties() {
        return properties;
    }

    /** Where the second host listens ({@link ResultHost#SECOND_HOST}); set once its server is bound. */
    void secondHost(URI base) {
        this.secondHost = base;
    }

    /** The URL TheRouter hands out for a job's result ({@code unsigned_urls}), seen from {@code apiBase}. */
    String resultUrl(URI apiBase, String id) {
        return properties.results() == ResultHost.OWN_ORIGIN ? apiBase + "/v1/jobs/" + id + "/content"
                : fileUrl(apiBase, id);
    }

    /** Where the result file itself lives, and {@code /content} redirects to. */
    String fileUrl(URI apiBase, String id) {
        return JobJson.fileUrl(properties.results() == ResultHost.OWN_ORIGIN ? apiBase : secondHost, id);
    }

    SimulatorFaults faults() {
        return limits.faults();
    }

    void setFaults(SimulatorFaults faults) {
        limits = Limits.of(faults);
    }

    Duration submitTimeoutDelay() {
        return properties.failures().submitTimeoutDelay();
    }

    /** A missing header is always refused; with no key configured any non-empty bearer token passes. */
    boolean authorized(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        String token = authorization.substring(7).trim();
        String key = properties.apiKey();
        return key == null || key.isBlank() ? !token.isEmpty() : key.equals(token);
    }

    void setOutage(SimulatorOutage next) {
        outageCalls.set(0);
        outage = next;
    }

    /** The outage that governs this call, or empty when it is answered normally. */
    Optional<SimulatorOutage> outageFor(Instant now) {
        SimulatorOutage current = outage;
        if (current == null || !now.isBefore(current.until())) {
            return Optional.empty();
        }
        if (current.calls() > 0 && outageCalls.incrementAndGet() > current.calls()) {
            return Optional.empty();
        }
        return Optional.of(current);
    }

    void noteSubmitArrival(Instant at) {
        if (submitArrivals.size() < 100_000) {
            submitArrivals.add(at);
        }
    }

    java.util.List<Instant> submitArrivals() {
        return java.util.List.copyOf(submitArrivals);
    }

    /** Logs a served poll; the first {@link #MAX_POLL_ARRIVALS} since start or reset are kept, later ones only counted. */
    void notePollArrival(String upstreamId, Instant at) {
        if (pollArrivalCount.incrementAndGet() <= MAX_POLL_ARRIVALS) {
            pollArrivals.add(new PollArrival(upstreamId, at));
        }
    }

    java.util.List<PollArrival> pollArrivals() {
        return java.util.List.copyOf(pollArrivals);
    }

    /** Empty when the call may proceed, else how long until it could. */
    Optional<Duration> acquireRateLimit() {
        TokenBucket bucket = limits.bucket();
        return bucket == null ? Optional.empty() : bucket.tryAcquire();
    }

    boolean isoTimestamps() {
        return ThreadLocalRandom.current().nextDouble() < properties.isoTimestampRate();
    }

    SubmitFault drawSubmitFault(Set<PromptTrigger> triggers) {
        if (triggers.contains(PromptTrigger.HANG)) {
            return SubmitFault.TIMEOUT;
        }
        SimulatorFaults faults = limits.faults();
        double u = ThreadLocalRandom.current().nextDouble();
        if (u < faults.submit429Rate()) {
            return SubmitFault.TOO_MANY_REQUESTS;
        }
        if (u < faults.submit429Rate() + faults.submit5xxRate()) {
            return SubmitFault.BAD_GATEWAY;
        }
        if (u < faults.submit429Rate() + faults.submit5xxRate() + faults.submitTimeoutRate()) {
            return SubmitFault.TIMEOUT;
        }
        return SubmitFault.NONE;
    }

    SimJob accept(String model, String prompt, byte[] image, Set<PromptTrigger> triggers) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        JobOutcome outcome = drawOutcome(triggers, random);
        Instant created = Instant.now();
        Duration total = sampler.draw(random);
        // the drawn duration is the whole submit-to-terminal time; the queued phase is a part of it
        Duration queued = sampler.queuedFor().compareTo(total) < 0 ? sampler.queuedFor() : total;
        Instant completes = outcome == JobOutcome.NEVER ? null : created.plus(total);
        SimJob job = new SimJob(newId(random), model, prompt, created, created.plus(queued), completes, outcome);
        if (outcome == JobOutcome.SUCCEEDED) {
            inputs.put(job.id(), image);
        }
        jobs.put(job.id(), job);
        counters.submitsAccepted.increment();
        if (!prompts.add(prompt)) {
            counters.duplicateSubmits.increment();
        }
        return job;
    }

    /** Ends a job now with {@code outcome}, whatever was drawn for it; false for an unknown id. */
    boolean finishNow(String id, JobOutcome outcome) {
        Instant now = Instant.now();
        return jobs.computeIfPresent(id, (key, job) -> new SimJob(job.id(), job.model(), job.prompt(), job.createdAt(),
                job.runningAt().isAfter(now) ? now : job.runningAt(), now, outcome)) != null;
    }

    Optional<SimJob> job(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    /** Rendered on first download and cached, like a file that upstream wrote once to its bucket. */
    Mono<byte[]> result(SimJob job) {
        return results.computeIfAbsent(job.id(), id -> Mono.fromCallable(() -> {
            byte[] input = inputs.remove(id);
            return renderer.render(input == null ? new byte[0] : input);
        }).subscribeOn(Schedulers.boundedElastic()).cache());
    }

    SimulatorStats stats() {
        Instant now = Instant.now();
        long queued = 0;
        long running = 0;
        long succeeded = 0;
        long failed = 0;
        long expired = 0;
        for (SimJob job : jobs.values()) {
            switch (job.statusAt(now)) {
                case "queued" -> queued++;
                case "in_progress" -> running++;
                case "succeeded" -> succeeded++;
                case "failed" -> failed++;
                case "expired" -> expired++;
                default -> throw new IllegalStateException("unexpected status of " + job.id());
            }
        }
        return new SimulatorStats(counters.submitsAccepted.sum(), counters.submitsRejected.sum(),
                counters.submit429s.sum(), counters.submit5xxs.sum(), counters.submitTimeouts.sum(),
                counters.rateLimited429s.sum(), counters.unauthorized.sum(), counters.polls.sum(),
                counters.contentCalls.sum(), counters.fileDownloads.sum(), queued, running, succeeded, failed, expired,
                counters.duplicateSubmits.sum(), prompts.size(), counters.outageAnswers.sum(),
                counters.connectionResets.sum(), counters.accountRequests.sum(), counters.lengthRequired.sum());
    }

    /** Every accepted job's id, grouped by its prompt. */
    java.util.Map<String, java.util.List<String>> idsByPrompt() {
        return jobs.values().stream().collect(java.util.stream.Collectors.groupingBy(SimJob::prompt,
                java.util.stream.Collectors.mapping(SimJob::id, java.util.stream.Collectors.toList())));
    }

    Optional<Instant> completedAt(String id) {
        return job(id).map(SimJob::completesAt);
    }

    /** Forgets all jobs and counters and restores the configured faults, so that tests do not leak into each other. */
    void reset() {
        outage = null;
        submitArrivals.clear();
        pollArrivals.clear();
        pollArrivalCount.set(0);
        jobs.clear();
        inputs.clear();
        results.clear();
        prompts.clear();
        counters.reset();
        limits = Limits.of(properties.faults());
    }

    private JobOutcome drawOutcome(Set<PromptTrigger> triggers, ThreadLocalRandom random) {
        if (triggers.contains(PromptTrigger.SLOW)) {
            return JobOutcome.NEVER;
        }
        if (triggers.contains(PromptTrigger.FAIL)) {
            return JobOutcome.FAILED;
        }
        if (triggers.contains(PromptTrigger.EXPIRE)) {
            return JobOutcome.EXPIRED;
        }
        SimulatorFaults faults = limits.faults();
        double u = random.nextDouble();
        if (u < faults.jobFailedRate()) {
            return JobOutcome.FAILED;
        }
        if (u < faults.jobFailedRate() + faults.jobExpiredRate()) {
            return JobOutcome.EXPIRED;
        }
        return JobOutcome.SUCCEEDED;
    }

    private static String newId(ThreadLocalRandom random) {
        StringBuilder id = new StringBuilder("img_");
        for (int i = 0; i < 24; i++) {
            id.append(ID_ALPHABET.charAt(random.nextInt(ID_ALPHABET.length())));
        }
        return id.toString();
    }
}
