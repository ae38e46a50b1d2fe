#!/usr/bin/env bash
# Issue #8, benchmark 2 — the read path. GET /v1/jobs/{id} per second of the packaged service (bearer key, auth, rate
# limiter, the job read by primary key, the job object rendered as JSON with its signed result link), driven by wrk
# with CONC connections over READ_JOBS seeded succeeded jobs picked at random, against pgbench selecting the same row
# (same columns, same predicate) by key at the same concurrency on the same PostgreSQL, alternating ROUNDS times in
# one run; ratio = service / pgbench. Everything on the same cores: wrk, pgbench, the service and PostgreSQL.
# Args (environment): DURATION (30 s), WARMUP (60 s of the service: its JIT needs that on 2 busy cores; pgbench warms up 10 s), CONC (64), ROUNDS (2), READ_JOBS (10000), PROFILE (0; 1 = JFR
# during the service phases), JAVA_OPTS (default empty), SKIP_BUILD (0).
# Loopback only; about 3 min with the defaults. Output and raw logs: target/bench/read-<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
source bench/service-lib.sh

DURATION=${DURATION:-30}
WARMUP=${WARMUP:-60}
CONC=${CONC:-64}
ROUNDS=${ROUNDS:-2}
PROFILE=${PROFILE:-0}
export READ_JOBS=${READ_JOBS:-10000}
OUT="$PWD/target/bench/read-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"

cleanup() {
    stop_service
    stop_postgres
}
trap cleanup EXIT INT TERM

bench_build_all
echo "started $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/summary.txt"

start_postgres "$BENCH_PG_PORT" "$OUT/pgdata" true
start_service "$OUT/service.log"
wait_ready 180
echo "service ready in ${READY_MS} ms (pid $SERVICE_PID)"

# READ_JOBS succeeded jobs of the bench team (the heaviest job object: it carries a signed result link, timings and a
# cost), id number n = img_ + n written with the letters a-j in 26 places (read.lua and pgbench-read.sql agree).
bench_psql -c "truncate jobs, job_images, idempotency_keys, spend_ledger cascade" -c "
    insert into jobs (id, team_id, operation, model, prompt, price_usd, charged_usd, status, version, upstream_id,
                      upstream_status, created_at, submitted_at, finished_at, deadline_at, metadata)
    select 'img_' || translate(lpad(n::text, 26, '0'), '0123456789', 'abcdefghij'), 'bench', 'EDIT',
           'qwen/qwen-image-edit', 'Turn this scene into a watercolor painting', 0.048, 0.048, 'SUCCEEDED', 3,
           'upstream-' || n, 'succeeded', now() - interval '90 seconds', now() - interval '89 seconds',
           now() - interval '20 seconds', now() + interval '14 minutes', '{\"ticket\": \"T-1\"}'
    from generate_series(1, $READ_JOBS) n" -c "vacuum analyze jobs" -c "checkpoint" 2>&1 | grep -v NOTICE || true
first="img_$(printf %026d 1 | tr 0-9 a-j)"
curl -fs "http://127.0.0.1:$BENCH_PORT/v1/jobs/$first" -H "Authorization: Bearer $BENCH_KEY" >"$OUT/sample-job.json"
echo "sample answer ($(wc -c <"$OUT/sample-job.json") bytes): $(head -c 300 "$OUT/sample-job.json")…"

run_pgbench() { # SECONDS [log prefix]
    local seconds=$1 prefix=${2:-}
    local log=()
    if [ -n "$prefix" ]; then log=(--log --log-prefix="$prefix"); fi
    timeout $((seconds + 60)) pgbench -n -M prepared -c "$CONC" -j 2 -T "$seconds" -f bench/pgbench-read.sql \
        -D jobs="$READ_JOBS" -D admin=false "${log[@]}" 2>&1
}
run_wrk() { # SECONDS
    timeout $(($1 + 60)) wrk -t 2 -c "$CONC" -d "${1}s" --timeout 30s -s bench/read.lua "http://127.0.0.1:$BENCH_PORT"
}

run_wrk "$WARMUP" >"$OUT/warmup-wrk.txt"
run_pgbench 10 >"$OUT/warmup-pgbench.txt"

printf '%s\n' "| round | side | ops | per s | p50 ms | p90 ms | p99 ms | max ms | errors |" \
    "|---|---|---|---|---|---|---|---|---|" >"$OUT/table.md"
for round in $(seq 1 "$ROUNDS"); do
    out=$(run_pgbench "$DURATION" "$OUT/pgb-r$round")
    echo "$out" >"$OUT/pgbench-r$round.txt"
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
    lat=$(pgbench_latency "$OUT"/pgb-r$round.*)
    echo "| $round | pgbench select by key | $(field n "$lat") | $tps | $(field p50_ms "$lat") | $(field p90_ms "$lat") | $(field p99_ms "$lat") | $(field max_ms "$lat") | ${failed:-?} |" >>"$OUT/table.md"
    PG_TPS[$round]=$tps

    if [ "$PROFILE" = 1 ]; then jcmd "$SERVICE_PID" JFR.start name=bench settings="${JFR_SETTINGS:-default}" >/dev/null; fi
    out=$(run_wrk "$DURATION")
    if [ "$PROFILE" = 1 ]; then jcmd "$SERVICE_PID" JFR.stop name=bench filename="$OUT/service-r$round.jfr" >/dev/null; fi
    echo "$out" >"$OUT/wrk-r$round.txt"
    line=$(grep '^WRK ' <<<"$out")
    errors=$(( $(field non2xx "$line") + $(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field timeout "$line") ))
    echo "| $round | service GET /v1/jobs/{id} | $(field requests "$line") | $(field rps "$line") | $(field p50_ms "$line") | $(field p90_ms "$line") | $(field p99_ms "$line") | $(field max_ms "$line") | $errors |" >>"$OUT/table.md"
    SVC_RPS[$round]=$(field rps "$line")
    SVC_P99[$round]=$(field p99_ms "$line")
done

cat "$OUT/table.md" | tee -a "$OUT/summary.txt"
for round in $(seq 1 "$ROUNDS"); do
    awk -v s="${SVC_RPS[$round]}" -v p="${PG_TPS[$round]}" -v q="${SVC_P99[$round]}" -v r="$round" \
        'BEGIN {printf "round %d: ratio service/pgbench = %.3f (target >= 0.3); service p99 = %s ms (target <= 20)\n", r, s / p, q}' \
        | tee -a "$OUT/summary.txt"
done
if [ "$PROFILE" = 1 ]; then
    for round in $(seq 1 "$ROUNDS"); do bench/jfr-hot.sh "$OUT/service-r$round.jfr" >"$OUT/profile-r$round.txt"; done
    echo "profiles: $OUT/profile-r*.txt"
fi
echo "finished $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average after: $(cut -d' ' -f1-3 /proc/loadavg); raw output in $OUT" | tee -a "$OUT/summary.txt"
