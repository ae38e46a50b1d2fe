package com.acme.imageedit.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * The adaptive schedule learning from its own polls, as the service runs it, without the network: jobs are observed
 * through the plan in force (each completion known only between two polls, the first interval starting at the
 * submit), the newest {@code window} observations are turned into run times by {@link PollSchedule#runTimes} and the
 * plan is made anew. It starts the way the service does: polling like TheRouter's loop until it has learned enough.
 */
final class LearningLoop {

    private final PollPlanner.Settings settings;
    private final int window;
    private final Deque<PollSchedule.Observed> observed = new ArrayDeque<>();
    private PollPlan plan;
    private int jobs;

    LearningLoop(PollPlanner.Settings settings, int window, PollPlan start) {
        this.settings = settings;
        this.window = window;
        this.plan = start;
    }

    /** Observes {@code count} jobs through the current plan, then re-plans from the window. */
    PollPlan round(DoubleSupplier runTime, int count) {
        for (int i = 0; i < count; i++) {
            observed.addFirst(observe(plan, "job-" + jobs++, runTime.getAsDouble()));
            if (observed.size() > window) {
                observed.removeLast();
            }
        }
        List<PollSchedule.Observed> newestFirst = new ArrayList<>(observed);
        plan = PollPlanner.plan(PollSchedule.runTimes(newestFirst, settings), settings).plan();
        return plan;
    }

    static PollSchedule.Observed observe(PollPlan plan, String jobId, double runTime) {
        long done = (long) Math.ceil(runTime);
        long high = plan.detectionOffset(done);
        long low = 0;
        for (long poll = plan.firstOffset(); poll < high; poll = plan.nextOffset(poll)) {
            low = poll;
        }
        return new PollSchedule.Observed(jobId, low, high);
    }
}
