-- How late polls go out after the time they were due (the claim's delay, the wait for the budget's permit). A job keeps its last poll's; a run-time sample keeps the delays of the poll that saw the job finished and
-- of the one before it: their difference is how much longer or shorter than planned the gap that hid the completion
-- was. The adaptive planner judges its plans with these, because our own timing noise blurs a plan's lag quantiles
-- (docs/performance.md, "Adaptive polling", end to end).
alter table jobs add column last_poll_late_ms bigint;
alter table upstream_run_samples add column delay_ms bigint not null default 0 check (delay_ms >= 0);
alter table upstream_run_samples add column previous_delay_ms bigint check (previous_delay_ms >= 0);
