-- Informational second baseline of bench/accept-path.sh: pgbench-accept.sql plus the budget reservation the service
-- makes in the same transaction (Budgets.reserve: the upsert of the day and month rows, then the two conditional
-- UPDATEs, day first), i.e. every statement of an accepted edit.
\set r random(1, 9000000000000000000)
BEGIN;
insert into jobs (id, team_id, operation, model, prompt, size, seed, cfg, num_inference_steps,
                  price_usd, status, deadline_at, metadata, callback_url)
values ('img_' || translate(lpad(cast(:r as text), 26, '0'), '0123456789', 'abcdefghij'), 'bench', 'EDIT',
        'qwen/qwen-image-edit', 'Turn this scene into a watercolor painting', null, null, null, null, 0.048, 'QUEUED',
        now() + interval '15 minutes', cast('{}' as jsonb), null)
returning id, team_id, model, prompt, size, seed, cfg, num_inference_steps, price_usd, charged_usd, status, version,
          upstream_id, error_code, error_type, error_message, created_at, deadline_at, submitted_at, finished_at,
          metadata::text as metadata_json, operation;
insert into job_images (job_id, role, content_type, width, height, bytes)
values ('img_' || translate(lpad(cast(:r as text), 26, '0'), '0123456789', 'abcdefghij'), 'INPUT', 'image/png', 512,
        512, cast(:img as bytea));
insert into budget_usage (team_id, period, period_start)
values ('bench', 'DAY', (now() at time zone 'UTC')::date),
       ('bench', 'MONTH', date_trunc('month', now() at time zone 'UTC')::date)
on conflict do nothing;
update budget_usage set committed_usd = committed_usd + 0.048
where team_id = 'bench' and period = 'DAY' and period_start = (now() at time zone 'UTC')::date
  and (cast(null as numeric) is null or committed_usd + 0.048 <= cast(null as numeric));
update budget_usage set committed_usd = committed_usd + 0.048
where team_id = 'bench' and period = 'MONTH' and period_start = date_trunc('month', now() at time zone 'UTC')::date
  and (cast(null as numeric) is null or committed_usd + 0.048 <= cast(null as numeric));
END;
