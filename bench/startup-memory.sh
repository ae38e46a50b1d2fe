#!/usr/bin/env bash
# Issue #8, benchmark 6 — start-up time and resident memory of the packaged service (java -jar, bench/bench-service.yml,
# the stand-alone PostgreSQL of lib.sh). STARTS launches one after another: the first on an empty database (Flyway
# migrates it), the others on the migrated one. For each: milliseconds from the launch to /actuator/health/readiness
# UP, Spring Boot's own "Started ... in X seconds", and VmRSS IDLE_WAIT seconds after readiness with no traffic. Then,
# on the last one: the accept load of accept-path.sh (wrk, CONC connections, DURATION seconds, after a WARMUP) with
# VmRSS sampled every 0.5 s (peak, mean), VmHWM, and VmRSS IDLE_WAIT seconds after the load.
# Heap: JAVA_OPTS (default empty: the JVM's ergonomics, printed). Loopback only; about 3 min with the defaults.
# Args (environment): STARTS (3), IDLE_WAIT (15), DURATION (30), WARMUP (10), CONC (64), JAVA_OPTS, SKIP_BUILD (0).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
source bench/service-lib.sh
source bench/accept-body.sh

STARTS=${STARTS:-3}
IDLE_WAIT=${IDLE_WAIT:-15}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-10}
CONC=${CONC:-64}
OUT="$PWD/target/bench/startup-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"

cleanup() {
    stop_service
    stop_postgres
}
trap cleanup EXIT INT TERM

bench_build_all
{
    echo "started $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "cores: $(nproc); memory: $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo); $(java -version 2>&1 | head -1)"
    echo "JAVA_OPTS: '${JAVA_OPTS:-}' -> $(java ${JAVA_OPTS:-} -XX:+PrintFlagsFinal -version 2>/dev/null \
        | awk '$2 ~ /^(InitialHeapSize|MaxHeapSize|UseG1GC|UseSerialGC|UseParallelGC)$/ {printf "%s=%s ", $2, $4}')"
} | tee "$OUT/summary.txt"

start_postgres "$BENCH_PG_PORT" "$OUT/pgdata" true

printf '%s\n' "| start | database | launch → readiness UP ms | Spring Boot \"Started … in\" s | VmRSS idle after ${IDLE_WAIT} s MB |" \
    "|---|---|---|---|---|" >"$OUT/table.md"
for start in $(seq 1 "$STARTS"); do
    start_service "$OUT/service-$start.log"
    wait_ready 300
    sleep "$IDLE_WAIT"
    idle=$(rss_kb "$SERVICE_PID")
    started=$(sed -n 's/.*Started ImageEditProxyApplication in \([0-9.]*\) seconds.*/\1/p' "$OUT/service-$start.log" | head -1)
    db=$([ "$start" = 1 ] && echo "empty (migrations run)" || echo "migrated")
    echo "| $start | $db | $READY_MS | ${started:-?} | $(awk -v k="$idle" 'BEGIN {printf "%.0f", k / 1024}') |" >>"$OUT/table.md"
    if [ "$start" -lt "$STARTS" ]; then stop_service; fi
done

export ACCEPT_BOUNDARY=bench-boundary-7d1f3a9c
export ACCEPT_BODY="$OUT/accept-body.bin"
write_accept_body "$ACCEPT_BODY" "$ACCEPT_BOUNDARY"
timeout $((WARMUP + 60)) wrk -t 2 -c "$CONC" -d "${WARMUP}s" --timeout 30s -s bench/accept.lua \
    "http://127.0.0.1:$BENCH_PORT" >"$OUT/warmup-wrk.txt"
: >"$OUT/rss-load.txt"
sample_rss "$SERVICE_PID" "$OUT/rss-load.txt" &
sampler=$!
timeout $((DURATION + 60)) wrk -t 2 -c "$CONC" -d "${DURATION}s" --timeout 30s -s bench/accept.lua \
    "http://127.0.0.1:$BENCH_PORT" >"$OUT/wrk-load.txt"
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
hwm=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$SERVICE_PID/status")
sleep "$IDLE_WAIT"
after=$(rss_kb "$SERVICE_PID")

cat "$OUT/table.md" | tee -a "$OUT/summary.txt"
{
    echo "under the accept load ($(grep '^WRK ' "$OUT/wrk-load.txt" | cut -d' ' -f2-4)): $(sort -n "$OUT/rss-load.txt" \
        | awk '{s += $1; m = $1} END {printf "VmRSS peak %.0f MB, mean %.0f MB over %d samples", m / 1024, s / NR / 1024, NR}'); VmHWM (process lifetime) ${hwm} MB"
    echo "VmRSS ${IDLE_WAIT} s after the load: $(awk -v k="$after" 'BEGIN {printf "%.0f", k / 1024}') MB"
    echo "finished $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average after: $(cut -d' ' -f1-3 /proc/loadavg); raw output in $OUT"
} | tee -a "$OUT/summary.txt"
