-- Jobs, their images and their workers' leases. Every state change is one UPDATE guarded by status and version.

create table jobs (
    id                  text        primary key,
    -- Until the teams feature lands every job belongs to the built-in team 'default'.
    team_id             text        not null default 'default',
    model               text        not null,
    prompt              text        not null,
    size                text,
    seed                bigint,
    cfg                 double precision,
    num_inference_steps integer,
    metadata            jsonb       not null default '{}'::jsonb,

    -- Price of one image at acceptance, so that later price changes do not rewrite history.
    price_usd           numeric(12, 6) not null,

    status              text        not null check (status in
                            ('QUEUED', 'SUBMITTING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED')),
    version             bigint      not null default 0,
    -- When a QUEUED job may be dispatched, or a RUNNING job should be polled next.
    next_attempt_at     timestamptz not null default now(),
    submit_attempts     integer     not null default 0,
    -- Set in its own statement just before a submit request leaves: a SUBMITTING job whose worker died with this set
    -- may exist upstream (and be billed), one without it certainly does not.
    submit_sent_at      timestamptz,
    -- The worker that sent the (last) submit: which replica to look at when a job went wrong.
    submitted_by        text,
    poll_count          integer     not null default 0,
    leased_by           text,
    lease_until         timestamptz,

    upstream_id         text        unique,
    upstream_status     text,

    -- Why the last attempt (submit or poll) went wrong, for operators; the job may still succeed.
    last_error          text,
    error_code          text,
    error_type          text,
    error_message       text,

    created_at          timestamptz not null default now(),
    deadline_at         timestamptz not null,
    submitted_at        timestamptz,
    finished_at         timestamptz
);

-- The claim queries: due work of one kind, oldest first. Partial, so they stay small however many finished jobs pile up.
create index jobs_queued_due on jobs (next_attempt_at) where status = 'QUEUED';
create index jobs_running_due on jobs (next_attempt_at) where status = 'RUNNING';
-- The reaper: leases that may have expired, and open jobs by deadline.
create index jobs_leased on jobs (lease_until) where leased_by is not null;
create index jobs_open_deadline on jobs (deadline_at) where status in ('QUEUED', 'SUBMITTING', 'RUNNING');
-- Listing a team's jobs newest first, with a (created_at, id) cursor.
create index jobs_team_created on jobs (team_id, created_at desc, id desc);

create table job_images (
    job_id       text    not null references jobs (id) on delete cascade,
    role         text    not null check (role in ('INPUT', 'RESULT')),
    content_type text    not null,
    width        integer,
    height       integer,
    bytes        bytea   not null,
    primary key (job_id, role)
);
alter table job_images alter column bytes set storage external; -- images are already compressed: skip pglz
