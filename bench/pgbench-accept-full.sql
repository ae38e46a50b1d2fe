-- Informational second baseline of bench/accept-path.sh: exactly what the service sends for an accepted edit without
-- an Idempotency-Key (JobRepository.insert): ONE statement, its own transaction, inserting the job, its budget
-- reservation (which the V7 trigger applies to the team's budget_usage rows at the implicit commit) and its 48 KiB
-- input image. The main baseline (pgbench-accept.sql) inserts the same job and image rows as two statements in a
-- BEGIN/END block; this one shows what the database gives a C client using the service's own statement.
\set r random(1, 9000000000000000000)
with job as (
    insert into jobs (id, team_id, operation, model, prompt, size, seed, cfg, num_inference_steps,
                      price_usd, status, deadline_at, metadata, callback_url)
    values ('img_' || translate(lpad(cast(:r as text), 26, '0'), '0123456789', 'abcdefghij'), 'bench', 'EDIT',
            'qwen/qwen-image-edit', 'Turn this scene into a watercolor painting', null, null, null, null, 0.048, 'QUEUED',
            now() + interval '15 minutes', cast('{}' as jsonb), null)
    returning id, team_id, model, prompt, size, seed, cfg, num_inference_steps, price_usd, charged_usd, status, version,
              upstream_id, error_code, error_type, error_message, created_at, deadline_at, submitted_at, finished_at,
              metadata::text as metadata_json, operation
), reservation as (
    insert into budget_reservations (job_id, team_id, price_usd, reserved_at)
    select id, team_id, price_usd, created_at from job
), image as (
    insert into job_images (job_id, role, content_type, width, height, bytes)
    select id, 'INPUT', 'image/png', 512, 512, cast(:img as bytea) from job
)
select * from job;
