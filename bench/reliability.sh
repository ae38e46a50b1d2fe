#!/usr/bin/env bash
# Issue #8 reliability items 1-4 against the packaged service (a child process of the driver, so that it can be
# killed with SIGKILL), the TheRouter simulator and a webhook receiver (in the driver's process), and a PostgreSQL 17
# that the driver stops and starts on its data directory. Prints every check and a RESULT block per scenario; exits
# non-zero when a check fails. Loopback only; each scenario is bounded (~3-5 min on 2 shared cores).
#   bench/reliability.sh [kill|postgres|upstream|all] [SEED] [jobs=N rate=R timeScale=S]
# Logs of the service: target/reliability/<scenario>-service.log
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIO=${1:-all}
SEED=${2:-}
shift $(( $# > 2 ? 2 : $# ))
./mvnw -q package -DskipTests
./mvnw -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
JAR=$(ls target/image-edit-proxy-*.jar | grep -v original | head -1)
echo "reliability $SCENARIO: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), jar $JAR"
set +e
timeout 1500 java -Xmx1g -cp "target/test-classes:target/classes:$(cat target/cp.txt)" bench/RunTestScopeMain.java \
  com.acme.imageedit.simulator.ReliabilityRun "$SCENARIO" "$JAR" bench/reliability.yml target/reliability "$SEED" "$@"
rc=$?
set -e
echo "reliability $SCENARIO ended $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), exit $rc"
exit $rc
