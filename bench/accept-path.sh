#!/usr/bin/env bash
# Issue #8, benchmark 1 — the accept path. Sustained accepted edits per second of the packaged service (multipart POST
# /v1/images/edits?async=true with bench/edit-48k.png, 202 only after the job and its image are committed), driven by
# wrk with CONC connections, against pgbench inserting the same rows (job + 48 KiB image, one transaction per job) at
# the same concurrency on the same PostgreSQL, alternating ROUNDS times in one run; ratio = service / pgbench.
# Every phase starts from empty job tables (truncate + checkpoint) after the service and pgbench were warmed up.
# A second, informational pgbench baseline runs the service's own accept statement (job, reservation and image in one).
# TEAMS=N (1..4, default 1) spreads the service's submits over N teams (bench-service.yml), each with its own budget
# rows: a team's submits lock its budget rows at commit (V7), so one team measures the per-team ceiling.
# Args (environment): DURATION (30 s), WARMUP (60 s of the service: its JIT needs that on 2 busy cores; pgbench warms up 10 s), CONC (64), ROUNDS (2), PROFILE (0; 1 = JFR during the service
# phases, summarised by bench/jfr-hot.sh), JAVA_OPTS (default empty: JVM ergonomics), SKIP_BUILD (0).
# Loopback only; about 4 min with the defaults on 2 cores. Output and raw logs: target/bench/accept-<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
source bench/service-lib.sh
source bench/accept-body.sh

DURATION=${DURATION:-30}
WARMUP=${WARMUP:-60}
CONC=${CONC:-64}
ROUNDS=${ROUNDS:-2}
PROFILE=${PROFILE:-0}
export BENCH_TEAMS=${TEAMS:-1}
OUT="$PWD/target/bench/accept-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"

cleanup() {
    stop_service
    stop_postgres
}
trap cleanup EXIT INT TERM

bench_build_all
echo "started $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg); teams: $BENCH_TEAMS; jar: ${SERVICE_JAR:-$(service_jar)}" | tee "$OUT/summary.txt"

# The request body: multipart with model, prompt and the image (a real 512x512 PNG of exactly 49,152 bytes).
export ACCEPT_BOUNDARY=bench-boundary-7d1f3a9c
export ACCEPT_BODY="$OUT/accept-body.bin"
write_accept_body "$ACCEPT_BODY" "$ACCEPT_BOUNDARY"
IMG_HEX="\\x$(od -An -v -tx1 bench/edit-48k.png | tr -d ' \n')"

start_postgres "$BENCH_PG_PORT" "$OUT/pgdata" true
start_service "$OUT/service.log"
wait_ready 180
echo "service ready in ${READY_MS} ms (pid $SERVICE_PID)"

run_pgbench() { # SCRIPT SECONDS [log prefix]
    local script=$1 seconds=$2 prefix=${3:-}
    local log=()
    if [ -n "$prefix" ]; then log=(--log --log-prefix="$prefix"); fi
    timeout $((seconds + 60)) pgbench -n -M prepared -c "$CONC" -j 2 -T "$seconds" -f "$script" \
        -D img="$IMG_HEX" "${log[@]}" 2>&1
}
run_wrk() { # SECONDS
    timeout $(($1 + 60)) wrk -t 2 -c "$CONC" -d "${1}s" --timeout 30s -s bench/accept.lua "http://127.0.0.1:$BENCH_PORT"
}

# Warm-up (JIT, pools, prepared statements on both sides), not measured.
curl -fs -o /dev/null -w 'first accept: HTTP %{http_code}\n' -X POST "http://127.0.0.1:$BENCH_PORT/v1/images/edits?async=true" \
    -H "Authorization: Bearer $BENCH_KEY" -H "Content-Type: multipart/form-data; boundary=$ACCEPT_BOUNDARY" \
    --data-binary @"$ACCEPT_BODY"
run_wrk "$WARMUP" >"$OUT/warmup-wrk.txt"
run_pgbench bench/pgbench-accept.sql 10 >"$OUT/warmup-pgbench.txt"

rows() {
    # One statement, one snapshot: jobs, input images, images of the right size, and jobs without their input (must be 0).
    bench_psql -c "select (select count(*) from jobs) || ' ' || (select count(*) from job_images where role = 'INPUT')
                   || ' ' || (select count(*) from job_images where role = 'INPUT' and octet_length(bytes) = 49152)
                   || ' ' || (select count(*) from jobs j where not exists (select 1 from job_images i
                                  where i.job_id = j.id and i.role = 'INPUT'))"
}

printf '%s\n' "| round | side | ops | per s | p50 ms | p90 ms | p99 ms | max ms | errors | rows jobs/images |" \
    "|---|---|---|---|---|---|---|---|---|---|" >"$OUT/table.md"
for round in $(seq 1 "$ROUNDS"); do
    reset_jobs
    out=$(run_pgbench bench/pgbench-accept.sql "$DURATION" "$OUT/pgb-r$round")
    echo "$out" >"$OUT/pgbench-r$round.txt"
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
    lat=$(pgbench_latency "$OUT"/pgb-r$round.*)
    read -r j i full orphans <<<"$(rows)"
    echo "| $round | pgbench job+image | $(field n "$lat") | $tps | $(field p50_ms "$lat") | $(field p90_ms "$lat") | $(field p99_ms "$lat") | $(field max_ms "$lat") | ${failed:-?} | $j/$i |" >>"$OUT/table.md"
    PG_TPS[$round]=$tps
    PG_P99[$round]=$(field p99_ms "$lat")

    reset_jobs
    : >"$OUT/rss-r$round.txt"
    sample_rss "$SERVICE_PID" "$OUT/rss-r$round.txt" &
    sampler=$!
    if [ "$PROFILE" = 1 ]; then jcmd "$SERVICE_PID" JFR.start name=bench settings="${JFR_SETTINGS:-default}" >/dev/null; fi
    # Half-way through: what the service's connections are doing in PostgreSQL (waits on the budget rows show here).
    (sleep $((DURATION / 2)); bench_psql -c "select count(*), coalesce(wait_event_type, '-') || ':' || coalesce(wait_event, '-'),
        state, left(regexp_replace(query, '\s+', ' ', 'g'), 40) from pg_stat_activity
        where datname = 'imageedit' and pid <> pg_backend_pid() group by 2, 3, 4 order by 1 desc" \
        >"$OUT/pg-activity-r$round.txt" 2>&1 || true) &
    out=$(run_wrk "$DURATION")
    if [ "$PROFILE" = 1 ]; then jcmd "$SERVICE_PID" JFR.stop name=bench filename="$OUT/service-r$round.jfr" >/dev/null; fi
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    echo "$out" >"$OUT/wrk-r$round.txt"
    line=$(grep '^WRK ' <<<"$out")
    read -r j i full orphans <<<"$(rows)"
    errors=$(( $(field non2xx "$line") + $(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field timeout "$line") ))
    echo "| $round | service | $(field requests "$line") | $(field rps "$line") | $(field p50_ms "$line") | $(field p90_ms "$line") | $(field p99_ms "$line") | $(field max_ms "$line") | $errors | $j/$i ($full of 49,152 bytes; $orphans jobs without input) |" >>"$OUT/table.md"
    SVC_RPS[$round]=$(field rps "$line")
    SVC_P99[$round]=$(field p99_ms "$line")
    rss=$(sort -n "$OUT/rss-r$round.txt" | awk '{s += $1; m = $1} END {printf "rss_peak_mb=%.0f rss_mean_mb=%.0f", m / 1024, s / NR / 1024}')
    echo "round $round service RSS under load: $rss" | tee -a "$OUT/summary.txt"
    echo "round $round PostgreSQL sessions half-way (count|wait|state|statement):" | tee -a "$OUT/summary.txt"
    tee -a "$OUT/summary.txt" <"$OUT/pg-activity-r$round.txt"
done

# Informational: the service's own statement for an accept without a key (job + reservation + image, autocommit).
reset_jobs
out=$(run_pgbench bench/pgbench-accept-full.sql "$DURATION" "$OUT/pgb-full")
echo "$out" >"$OUT/pgbench-full.txt"
tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$out")
lat=$(pgbench_latency "$OUT"/pgb-full.*)
read -r j i full orphans <<<"$(rows)"
echo "| - | pgbench the service's statement: job+reservation+image, one statement (informational) | $(field n "$lat") | $tps | $(field p50_ms "$lat") | $(field p90_ms "$lat") | $(field p99_ms "$lat") | $(field max_ms "$lat") | - | $j/$i |" >>"$OUT/table.md"

cat "$OUT/table.md" | tee -a "$OUT/summary.txt"
for round in $(seq 1 "$ROUNDS"); do
    awk -v s="${SVC_RPS[$round]}" -v p="${PG_TPS[$round]}" -v q="${SVC_P99[$round]}" -v r="$round" \
        'BEGIN {printf "round %d: ratio service/pgbench = %.3f (target >= 0.5); service p99 = %s ms (target <= 50)\n", r, s / p, q}' \
        | tee -a "$OUT/summary.txt"
done
if [ "$PROFILE" = 1 ]; then
    for round in $(seq 1 "$ROUNDS"); do bench/jfr-hot.sh "$OUT/service-r$round.jfr" >"$OUT/profile-r$round.txt"; done
    echo "profiles: $OUT/profile-r*.txt"
fi
echo "finished $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average after: $(cut -d' ' -f1-3 /proc/loadavg); raw output in $OUT" | tee -a "$OUT/summary.txt"
