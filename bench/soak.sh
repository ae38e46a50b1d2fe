#!/usr/bin/env bash
# Reliability item 6: a soak of ONE packaged service process (java -jar, default heap) at moderate mixed load against
# the simulator (time scale 0.05: jobs of 1.5-9 s); samples heap after a forced GC, RSS, threads, pool connections,
# PostgreSQL backends and file descriptors every 10 s, prints the CSV (also target/bench/soak/soak.csv) and compares
# the first two minutes after warm-up with the last two. Loopback only.
# Args: [SECONDS=600] [SUBMITS_PER_S=5] [TIME_SCALE=0.05] [SAMPLE_EVERY_S=10]   e.g. bench/soak.sh 120 for a quick check
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
OUT=target/bench/soak
PGPORT=${PGPORT:-55434}
SECONDS_TO_RUN=${1:-600}
mkdir -p "$OUT"
bench_build
./mvnw -q package -DskipTests
start_postgres "$PGPORT" "$PWD/$OUT/pgdata" true
trap stop_postgres EXIT
timeout $((SECONDS_TO_RUN + 600)) java -cp "target/test-classes:target/classes:$(cat target/cp.txt)" \
  bench/RunTestScopeMain.java com.acme.imageedit.simulator.SoakBench "$PGPORT" "$(service_jar)" "$OUT" \
  "$SECONDS_TO_RUN" "${2:-5}" "${3:-0.05}" "${4:-10}" 2>&1 \
  | grep -E '^SOAK|^\||^$|Exception|Caused by|ERROR'
