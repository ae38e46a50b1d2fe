-- Retention (jobs.RetentionJanitor): inputs and results are deleted when their time comes, job rows (with their
-- webhook deliveries and idempotency keys) long after, and the spend ledger is kept. Each replica's janitor deletes
-- what is due in SKIP LOCKED batches; these columns say when, and partial indexes find it cheaply when nothing is.

-- When the stored result (and by default the input) is deleted: the job object's expires_at, the signed links'
-- expiry. Set at acceptance from the team's retention or the global one; rows from before this migration keep the
-- 7 days the service promised them.
alter table jobs add column expires_at timestamptz;
update jobs set expires_at = created_at + interval '7 days';
alter table jobs alter column expires_at set not null;
-- The service always sets it; a row written by hand (or by a test) gets the default promise.
alter table jobs alter column expires_at set default now() + interval '7 days';

-- How long after the job ends its input is kept (null: until expires_at, with the result), and its row.
alter table jobs add column input_retention interval;
alter table jobs add column record_retention interval not null default interval '90 days';

-- When the row itself goes: set when the job ends (plan_purge() below); null while it runs.
alter table jobs add column purge_at timestamptz;
update jobs set purge_at = finished_at + record_retention where finished_at is not null;
create index jobs_purge_due on jobs (purge_at) where purge_at is not null;

-- When an image goes. An input gets expires_at at acceptance, or end + input_retention when the job ends; a result
-- gets expires_at when it is stored. size_bytes feeds the stored-bytes gauges without reading the images.
alter table job_images add column purge_at timestamptz;
alter table job_images add column size_bytes integer generated always as (octet_length(bytes)) stored;
update job_images i set purge_at = j.expires_at from jobs j where j.id = i.job_id;
create index job_images_purge_due on job_images (purge_at) where purge_at is not null;

-- The ledger outlives the jobs it settled: GET /v1/usage and the budgets read only the ledger.
alter table spend_ledger drop constraint spend_ledger_job_id_fkey;

-- In the transaction of every terminal transition, whichever statement makes it (worker, reaper, cancel), like
-- settle_job(): the row's purge time, and the input's when it is kept for a while after the end rather than until
-- expires_at. Inputs never outlive their result's expiry.
create function plan_purge() returns trigger language plpgsql as $$
begin
    new.purge_at := now() + new.record_retention;
    if new.input_retention is not null then
        update job_images set purge_at = least(purge_at, now() + new.input_retention)
        where job_id = new.id and role = 'INPUT';
    end if;
    return new;
end;
$$;

create trigger jobs_plan_purge
    before update of status on jobs
    for each row
    when (old.status in ('QUEUED', 'SUBMITTING', 'RUNNING')
          and new.status in ('SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'))
    execute function plan_purge();
