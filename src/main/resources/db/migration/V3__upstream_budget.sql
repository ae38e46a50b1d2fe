-- Resilience state that every replica must see the same: TheRouter's request budget, a pause TheRouter asked for, and
-- the job run times the adaptive poll schedule learns from. Nothing of this may live in one replica's memory.

-- A token bucket refilled by time. Rate and capacity come from configuration at each draw, so that changing them
-- needs no migration; the row only carries the level and when it was last refilled (database clock).
create table upstream_budget (
    name        text             primary key,
    tokens      double precision not null,
    refilled_at timestamptz      not null default clock_timestamp()
);

-- A 429 or Retry-After from TheRouter stops every replica until paused_until.
create table upstream_pause (
    name         text        primary key,
    paused_until timestamptz not null default '-infinity',
    reason       text
);

insert into upstream_budget (name, tokens) values ('account', 0);
insert into upstream_pause (name) values ('account');

-- When the running job was last polled: the earliest instant its upstream completion can have happened, when the next
-- poll finds it finished.
alter table jobs add column last_poll_at timestamptz;

-- Observed upstream run times (submit to terminal), interval-censored between the last poll that saw the job running
-- and the poll that saw it finished. The poll schedule learns from the most recent rows.
create table upstream_run_samples (
    job_id      text        primary key,
    observed_at timestamptz not null default now(),
    low_ms      bigint      not null,
    high_ms     bigint      not null check (high_ms >= low_ms)
);
create index upstream_run_samples_recent on upstream_run_samples (observed_at desc);
