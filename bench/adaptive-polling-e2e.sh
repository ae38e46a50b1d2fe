#!/usr/bin/env bash
# Acceptance 6 end to end: the real service (workers, poller, adaptive planner learning from what it observes) against
# the real simulator, time-scaled, dispatch.polling.mode=fixed (first poll after 5 s, then every 5 s) vs adaptive, on
# uniform 30-180 s and log-normal (median 60 s, sigma 0.35) run times; every duration of both schedules is scaled by the
# same time scale. Prints status calls/job and detection lag (unscaled seconds). Loopback only; ~4-5 min on 2 cores.
# Args: TIME_SCALE (0.04) SUBMITS_PER_S per service (15) WARM_UP_JOBS (1000) MEASURED_JOBS (1000)
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -o test-compile
./mvnw -q -o dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
timeout 900 java -cp "target/test-classes:target/classes:$(cat target/cp.txt)" bench/RunTestScopeMain.java \
  com.acme.imageedit.simulator.AdaptivePollingE2eBench "${1:-0.04}" "${2:-15}" "${3:-1000}" "${4:-1000}" 2>&1 \
  | grep -E '^E2E|^\||^$|Exception|Caused by'
