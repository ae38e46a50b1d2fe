#!/usr/bin/env bash
# Acceptance 4 at full size: PostgreSQL stopped for 30 s under load; prints API calls made during the outage and the
# slowest answer (all must be 503 in < 2 s), then waits for every accepted job. Loopback only; bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
OUTAGE_MS=${OUTAGE_MS:-30000}
timeout 600 ./mvnw -B test -Dtest='DatabaseOutageTest' -Doutage.millis="$OUTAGE_MS" | grep -E "OUTAGE|Tests run:|FAIL"
