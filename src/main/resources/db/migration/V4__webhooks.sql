-- Webhooks (DESIGN §6): per-job callback URLs, team subscriptions, signing secrets, and the delivery outbox.
-- Delivery rows are written by a trigger in the transaction of the job's state change, whichever statement makes it
-- (a worker's transition, the reaper's bulk expiry, a cancel), so that no state change can lose its notification.

alter table jobs add column callback_url text;

-- A team's default secret signs its jobs' callback_url deliveries. Secrets are stored encrypted by the service
-- ('v1:' prefix, AES-GCM) when webhooks.secret-encryption-key is set, else as 'plain:<secret>'.
-- During a rotation the previous secret keeps signing until previous_expires_at.
create table webhook_team_secrets (
    team_id             text primary key references teams (id),
    secret              text not null,
    previous_secret     text,
    previous_expires_at timestamptz,
    created_at          timestamptz not null default now(),
    rotated_at          timestamptz
);

create table webhook_subscriptions (
    id                  text primary key,
    team_id             text not null references teams (id),
    url                 text not null,
    -- The host of url, lower case: deliveries are limited per host.
    host                text not null,
    events              text[] not null,
    description         text,
    enabled             boolean not null default true,
    disabled_reason     text,
    secret              text not null,
    previous_secret     text,
    previous_expires_at timestamptz,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now()
);
create index webhook_subscriptions_team on webhook_subscriptions (team_id, created_at);

-- The outbox: one row per (event, target). Its id is the webhook-id receivers see, the same on every attempt.
create table webhook_deliveries (
    id              text primary key,
    team_id         text not null references teams (id),
    job_id          text not null references jobs (id) on delete cascade,
    event_type      text not null,
    -- When the event happened (the envelope's timestamp).
    event_at        timestamptz not null default now(),
    target          text not null check (target in ('CALLBACK', 'SUBSCRIPTION')),
    -- A deleted subscription leaves its deliveries in the log; pending ones then end failed.
    subscription_id text references webhook_subscriptions (id) on delete set null,
    url             text not null,
    host            text not null,
    status          text not null default 'PENDING' check (status in ('PENDING', 'DELIVERED', 'FAILED')),
    -- The envelope, rendered at the first attempt and sent unchanged on every retry.
    body            text,
    attempts        integer not null default 0,
    -- Attempts since the last (re)delivery request: the position in the retry schedule.
    round_attempts  integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    leased_by       text,
    lease_until     timestamptz,
    version         bigint not null default 0,
    last_status     integer,
    last_error      text,
    created_at      timestamptz not null default now(),
    delivered_at    timestamptz,
    finished_at     timestamptz
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'PENDING';
create index webhook_deliveries_in_flight on webhook_deliveries (host) where status = 'PENDING' and leased_by is not null;
create index webhook_deliveries_team on webhook_deliveries (team_id, created_at desc, id desc);
create index webhook_deliveries_job on webhook_deliveries (job_id);
create index webhook_deliveries_subscription on webhook_deliveries (subscription_id) where status = 'PENDING';

create table webhook_attempts (
    delivery_id text    not null references webhook_deliveries (id) on delete cascade,
    attempt     integer not null,
    worker      text    not null,
    started_at  timestamptz not null,
    status_code integer,
    latency_ms  integer not null,
    error       text,
    primary key (delivery_id, attempt)
);

create function webhook_host(url text) returns text language sql immutable as $$
    select lower(substring(url from '^[A-Za-z][A-Za-z0-9+.-]*://(\[[^\]]+\]|[^/:?#]+)'))
$$;

create function enqueue_job_webhooks() returns trigger language plpgsql as $$
declare
    event text;
begin
    event := case new.status
        when 'RUNNING' then 'job.in_progress'
        when 'SUCCEEDED' then 'job.succeeded'
        when 'FAILED' then 'job.failed'
        when 'CANCELLED' then 'job.cancelled'
        when 'EXPIRED' then 'job.expired'
    end;
    -- A per-job callback hears the outcome only; job.in_progress is for subscriptions that ask for it.
    if new.callback_url is not null and event <> 'job.in_progress' then
        insert into webhook_deliveries (id, team_id, job_id, event_type, target, url, host)
        values ('msg_' || replace(gen_random_uuid()::text, '-', ''), new.team_id, new.id, event, 'CALLBACK',
                new.callback_url, webhook_host(new.callback_url));
    end if;
    insert into webhook_deliveries (id, team_id, job_id, event_type, target, subscription_id, url, host)
    select 'msg_' || replace(gen_random_uuid()::text, '-', ''), new.team_id, new.id, event, 'SUBSCRIPTION', s.id,
           s.url, s.host
    from webhook_subscriptions s
    where s.team_id = new.team_id and s.enabled and event = any (s.events);
    return null;
end;
$$;

-- AFTER, so that it sees the row as settle_job() (BEFORE) left it; it changes nothing in jobs.
create trigger jobs_webhooks
    after update of status on jobs
    for each row
    when (old.status in ('QUEUED', 'SUBMITTING', 'RUNNING') and old.status is distinct from new.status
          and new.status in ('RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'))
    execute function enqueue_job_webhooks();
