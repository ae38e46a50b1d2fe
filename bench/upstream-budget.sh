#!/usr/bin/env bash
# Acceptance 1 at full size: three replicas on one database and one simulator enforcing RATE requests/s drain a burst
# of JOBS jobs; prints calls, drain time, utilisation and 429s. Loopback only; bounded by the test's own timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2000}
RATE=${RATE:-100}
timeout 900 ./mvnw -B test -Dtest='UpstreamResilienceTest#threeReplicasDrainABurstWithinTheAccountRateAndUseIt' \
  -Dbudget.jobs="$JOBS" -Dbudget.rate="$RATE" -Dsurefire.failIfNoSpecifiedTests=false | grep -E "BUDGET|Tests run:|FAIL"
