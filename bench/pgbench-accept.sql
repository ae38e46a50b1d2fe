-- pgbench baseline of bench/accept-path.sh: what one accepted edit stores (JobRepository.insert), one transaction per
-- job: the job row (returning the columns the service reads back) and its 48 KiB input image, sent as a parameter on
-- every transaction (pgbench -M prepared -D img=\x<hex of bench/edit-48k.png>). The id is img_ + 26 letters.
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
END;
