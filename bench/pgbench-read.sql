-- pgbench baseline of bench/read-path.sh: what GET /v1/jobs/{id} reads (JobRepository.find), the same columns and
-- predicate, by primary key, one of the READ_JOBS seeded jobs at random (pgbench -M prepared -D jobs=N -D admin=false).
\set n random(1, :jobs)
select id, team_id, model, prompt, size, seed, cfg, num_inference_steps, price_usd, charged_usd, status, version,
       upstream_id, error_code, error_type, error_message, created_at, deadline_at, submitted_at, finished_at,
       metadata::text as metadata_json, operation
from jobs
where id = 'img_' || translate(lpad(cast(:n as text), 26, '0'), '0123456789', 'abcdefghij')
  and (cast(:admin as boolean) or team_id = 'bench');
