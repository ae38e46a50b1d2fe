#!/usr/bin/env bash
# Issue #8 benchmark 5: 50,000 jobs in_progress on ONE packaged service process (java -jar, default heap), all overdue
# by different amounts, next to 1,000,000 finished jobs, shared upstream budget R req/s. Prints polls/s against R,
# seconds under 95% of R, the order of polls against overdue rank, heap after GC, and whether the claim statements'
# plans use their indexes (EXPLAIN ANALYZE texts in target/bench/work-in-flight/claim-plans-*.txt).
# Loopback only. Args: [IN_FLIGHT=50000] [FINISHED=1000000] [RATES=100,200] [SECONDS=120] [BURST=2] [POLL_LOOPS=1]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
OUT=target/bench/work-in-flight
PGPORT=${PGPORT:-55433}
mkdir -p "$OUT"
bench_build
./mvnw -q package -DskipTests
echo "load before: $(uptime)"
start_postgres "$PGPORT" "$PWD/$OUT/pgdata" true
trap stop_postgres EXIT
timeout 1800 java -cp "target/test-classes:target/classes:$(cat target/cp.txt)" bench/RunTestScopeMain.java \
  com.acme.imageedit.simulator.WorkInFlightBench "$PGPORT" "$(service_jar)" "$OUT" \
  "${1:-50000}" "${2:-1000000}" "${3:-100,200}" "${4:-120}" "${5:-2}" "${6:-1}" 2>&1 \
  | grep -E '^WIF|^\||^$|Exception|Caused by|ERROR'
echo "load after: $(uptime)"
