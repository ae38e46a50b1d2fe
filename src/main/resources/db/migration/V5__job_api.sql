-- The whole job API: generations, idempotent submits, metadata filters, and job events for other replicas.

-- A job edits an input image or generates from text alone (no INPUT row in job_images).
alter table jobs add column operation text not null default 'EDIT' check (operation in ('EDIT', 'GENERATE'));

-- Idempotency-Key per team. The row is inserted in the transaction that creates the job, before the job itself, so a
-- concurrent duplicate waits on the primary key and then finds the committed row (one job, whoever wins). The job
-- foreign key is checked at commit, because the row goes in before the job does.
create table idempotency_keys (
    team_id         text        not null references teams (id),
    key             text        not null,
    -- SHA-256 of the canonical validated request: the same key with another request is refused.
    request_hash    text        not null,
    job_id          text        not null references jobs (id) on delete cascade deferrable initially deferred,
    -- The original answer, replayed byte for byte.
    response_status integer,
    response_body   bytea,
    created_at      timestamptz not null default now(),
    primary key (team_id, key)
);
create index idempotency_keys_created on idempotency_keys (created_at);

-- GET /v1/jobs?metadata[k]=v filters with jsonb containment.
create index jobs_metadata on jobs using gin (metadata jsonb_path_ops);

/*
 * Job events for every replica: NOTIFY is delivered at commit, only if the transaction commits, so a listener never
 * hears of a state that is not in the database. Only changes of the public status are announced (SUBMITTING and a
 * requeue are still "queued" to clients). The payload is a hint; listeners read the job itself.
 */
create function notify_job_event() returns trigger language plpgsql as $$
begin
    perform pg_notify('job_events', json_build_object('id', new.id, 'team_id', new.team_id, 'status', new.status,
                                                      'version', new.version)::text);
    return null;
end;
$$;

create trigger jobs_notify_status
    after update of status on jobs
    for each row
    when (old.status is distinct from new.status and new.status not in ('QUEUED', 'SUBMITTING'))
    execute function notify_job_event();
