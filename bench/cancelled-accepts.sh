#!/usr/bin/env bash
# Checks that accepts abandoned by their clients leave nothing half-stored: the accept load of accept-path.sh (wrk, 64
# connections) for 20 s, then BURSTS (30) runs of 2 s, each ended by wrk with 64 requests in flight (the clients go
# away mid-request). Then, in one snapshot: jobs, input images, jobs WITHOUT their input image, and the bench team's
# committed budget against 0.048 x jobs. Every job must have its image and its reservation (one transaction).
# Found by issue #8's accept benchmark (docs/performance.md). Loopback only; about 3 min. SERVICE_JAR as in service-lib.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
source bench/service-lib.sh
source bench/accept-body.sh
OUT="$PWD/target/bench/cancelled-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
trap 'stop_service; stop_postgres' EXIT INT TERM
bench_build_all
echo "started $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average: $(cut -d' ' -f1-3 /proc/loadavg); jar: ${SERVICE_JAR:-$(service_jar)}"
start_postgres "$BENCH_PG_PORT" "$OUT/pgdata" true
start_service "$OUT/service.log"
wait_ready 180
export ACCEPT_BOUNDARY=bench-boundary-7d1f3a9c ACCEPT_BODY="$OUT/body.bin" BENCH_TEAMS=1
write_accept_body "$ACCEPT_BODY" "$ACCEPT_BOUNDARY"
timeout 60 wrk -t 2 -c 64 -d 20s --timeout 30s -s bench/accept.lua "http://127.0.0.1:$BENCH_PORT" | grep '^WRK'
for _ in $(seq 1 "${BURSTS:-30}"); do
    timeout 20 wrk -t 2 -c 64 -d 2s --timeout 30s -s bench/accept.lua "http://127.0.0.1:$BENCH_PORT" >/dev/null
done
sleep 3
read -r jobs images orphans committed expected <<<"$(bench_psql -F ' ' -c "select count(*),
    (select count(*) from job_images where role = 'INPUT'),
    (select count(*) from jobs j where not exists (select 1 from job_images i where i.job_id = j.id and i.role = 'INPUT')),
    (select coalesce(sum(committed_usd), 0) from budget_usage where team_id = 'bench' and period = 'DAY'),
    count(*) * 0.048 from jobs")"
echo "jobs $jobs, input images $images, jobs without their input $orphans; budget committed $committed for $expected"
bench_psql -c "select id, status, created_at from jobs j
               where not exists (select 1 from job_images i where i.job_id = j.id and i.role = 'INPUT')"
if [ "$orphans" = 0 ] && [ "$jobs" = "$images" ]; then echo "OK: nothing half-stored"; else echo "FAILED: half-stored accepts"; exit 1; fi
