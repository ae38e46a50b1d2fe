-- Informational second baseline of bench/accept-path.sh: every statement of an accepted edit, as the service sends
-- them (JobRepository.insert): the job row with its budget reservation (one statement; the V7 trigger applies the
-- reservation to the team's budget_usage rows at commit), then its 48 KiB input image, in one transaction.
\set r random(1, 9000000000000000000)
BEGIN;
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
)
select * from job;
insert into job_images (job_id, role, content_type, width, height, bytes)
values ('img_' || translate(lpad(cast(:r as text), 26, '0'), '0123456789', 'abcdefghij'), 'INPUT', 'image/png', 512,
        512, cast(:img as bytea));
END;
