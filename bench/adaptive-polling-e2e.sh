#!/usr/bin/env bash
# Acceptance 6 end to end: the real service (workers, poller, adaptive planner learning from what it observes) against
# the real simulator, time-scaled, dispatch.polling.mode=fixed (first poll after 5 s, then every 5 s) vs adaptive, on
# uniform 30-180 s and log-normal (median 60 s, sigma 0.35) run times; every duration of both schedules is scaled by the
# same time scale. Prints status calls/job and detection lag (unscaled seconds). Loopback only; ~6 min on 2 cores.
# Args: TIME_SCALE (0.1) SUBMITS_PER_S per service (15) WARM_UP_JOBS (800) MEASURED_JOBS (800) DISTRIBUTIONS
# (uniform,lognormal) JIT_WARM_UP_JOBS (400: a first pair of services, thrown away, so that the measured ones do not
# learn from code still being compiled). E2E_DUMP=prefix writes every measured job (submit, completion, finish, poll
# arrivals) as CSV.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q test-compile
./mvnw -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
timeout 900 java ${E2E_DUMP:+-De2e.dump=$E2E_DUMP} -cp "target/test-classes:target/classes:$(cat target/cp.txt)" bench/RunTestScopeMain.java \
  com.acme.imageedit.simulator.AdaptivePollingE2eBench "${1:-0.1}" "${2:-15}" "${3:-800}" "${4:-800}" "${5:-uniform,lognormal}" "${6:-400}" 2>&1 \
  | grep -E 'Poll plan now|^E2E|^Adaptive minus|^\||^$|Exception|Caused by'
