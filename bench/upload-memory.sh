#!/usr/bin/env bash
# Issue #16, memory-bounded uploads: the packaged service on a small heap (-Xmx256m -XX:+ExitOnOutOfMemoryError, its
# default bound on bodies in flight: a quarter of the heap) under 40 clients sending 14 MB JSON submits back to back
# (Expect: 100-continue, Retry-After honoured), while 1 MB JSON submits of a real PNG arrive at a fixed rate: the 1 MB
# throughput alone and under that load in the same run, the heap after a forced GC idle and after the load, the
# largest heap after a GC during it, and a few OpenAI-style submits of the largest image waiting for their jobs. Every
# answer must be 202 or a clean refusal; the last line says pass or FAIL (UploadMemoryBench).
# Args (environment): SECONDS_PER_PHASE (30), BIG_CLIENTS (40), SMALL_LOAD (8: 1 MB submits a second, open loop;
# closed:N for N clients sending back to back), HEAP (256m), BIG_IMAGE (invalid: 10 MB of random bytes, a 415 each
# once read; valid: a 10 MB PNG, stored), WAITERS (4), SERVICE_JAR (another build, e.g. one of main for a before and
# after), SKIP_BUILD (0).
# Loopback only; about 3 min with the defaults. Output: target/bench/uploads-<time>/ (service log, GC log, table.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
source bench/service-lib.sh

OUT="$PWD/target/bench/uploads-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
trap stop_postgres EXIT INT TERM

bench_build_all
{
    echo "started $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "cores: $(nproc); memory: $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo); $(java -version 2>&1 | head -1)"
} | tee "$OUT/summary.txt"
start_postgres "$BENCH_PG_PORT" "$OUT/pgdata" true
timeout 1800 java -cp "target/test-classes:target/classes:$(cat target/cp.txt)" bench/RunTestScopeMain.java \
    com.acme.imageedit.bench.UploadMemoryBench "$BENCH_PG_PORT" "${SERVICE_JAR:-$(service_jar)}" "$OUT" \
    bench/bench-service.yml "${SECONDS_PER_PHASE:-30}" "${BIG_CLIENTS:-40}" "${SMALL_LOAD:-8}" "${HEAP:-256m}" \
    "${BIG_IMAGE:-invalid}" "${WAITERS:-4}" 2>&1 | grep -E '^UPLOAD|^\||^$|^heap|^1 MB|Exception|Caused by' | tee -a "$OUT/summary.txt"
echo "finished $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/summary.txt"
