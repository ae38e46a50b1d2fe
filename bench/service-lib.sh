# Shared by accept-path.sh, read-path.sh and startup-memory.sh (source after lib.sh): the packaged service as its own
# process against the stand-alone PostgreSQL of lib.sh, psql/pgbench against the same database, and the statistics.
# Loopback only. Ports can be moved with BENCH_PG_PORT / BENCH_PORT / BENCH_MANAGEMENT_PORT when another run holds them; SERVICE_JAR=path runs
# another build of the service (e.g. a copy of the jar from before a change, for a before/after comparison).

BENCH_PG_PORT=${BENCH_PG_PORT:-56410}
BENCH_PORT=${BENCH_PORT:-18410}
BENCH_MANAGEMENT_PORT=${BENCH_MANAGEMENT_PORT:-18411}
BENCH_KEY=bench-key
export PGHOST=127.0.0.1 PGPORT=$BENCH_PG_PORT PGUSER=postgres PGPASSWORD=postgres PGDATABASE=imageedit

# The jar and the test classes (StandalonePostgres lives in test scope); SKIP_BUILD=1 reuses what target/ holds.
bench_build_all() {
    if [ "${SKIP_BUILD:-0}" = 1 ] && [ -f "$BENCH_ROOT/target/cp.txt" ] && ls "$BENCH_ROOT"/target/image-edit-proxy-*.jar >/dev/null 2>&1; then
        return 0
    fi
    (cd "$BENCH_ROOT" && ./mvnw -q package -DskipTests) && bench_build
}

bench_psql() {
    psql -qAtX -v ON_ERROR_STOP=1 "$@"
}

# start_service LOG [JVM options...]: launches java -jar in the background (SERVICE_PID), noting the launch time
# (SERVICE_T0_MS) so that wait_ready can tell the time to readiness. JAVA_OPTS (default empty: the JVM's own heap
# ergonomics) go first.
start_service() {
    local log=$1
    shift
    SERVICE_T0_MS=$(date +%s%3N)
    # shellcheck disable=SC2086
    (DB_HOST=127.0.0.1 DB_PORT=$BENCH_PG_PORT DB_NAME=imageedit DB_USER=postgres DB_PASSWORD=postgres \
        exec java ${JAVA_OPTS:-} "$@" -jar "${SERVICE_JAR:-$(service_jar)}" --server.port="$BENCH_PORT" \
        --management.server.port="$BENCH_MANAGEMENT_PORT" \
        --spring.config.additional-location="file:$BENCH_ROOT/bench/bench-service.yml" >"$log" 2>&1) &
    SERVICE_PID=$!
}

# wait_ready [TIMEOUT_S]: polls /actuator/health/readiness (management port) every 20 ms until UP; sets READY_MS (since launch).
wait_ready() {
    local limit=$(( $(date +%s) + ${1:-120} ))
    while [ "$(date +%s)" -lt "$limit" ]; do
        if curl -fs "http://127.0.0.1:$BENCH_MANAGEMENT_PORT/actuator/health/readiness" 2>/dev/null | grep -q '"UP"'; then
            READY_MS=$(( $(date +%s%3N) - SERVICE_T0_MS ))
            return 0
        fi
        if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
            echo "the service died during start-up" >&2
            return 1
        fi
        sleep 0.02
    done
    echo "the service was not ready in time" >&2
    return 1
}

stop_service() {
    if [ -n "${SERVICE_PID:-}" ]; then
        kill -TERM "$SERVICE_PID" 2>/dev/null || true
        wait "$SERVICE_PID" 2>/dev/null || true
        SERVICE_PID=
    fi
}

rss_kb() {
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

# sample_rss PID FILE: appends VmRSS (kB) every 0.5 s until killed (run it in the background).
sample_rss() {
    while kill -0 "$1" 2>/dev/null; do
        rss_kb "$1" >>"$2"
        sleep 0.5
    done
}

# Empties the job tables (the teams, keys and budget rows stay) and checkpoints, so that every phase starts from the
# same table size and no phase pays for the previous one's dirty pages.
reset_jobs() {
    bench_psql -c "truncate jobs, job_images, idempotency_keys, spend_ledger cascade" -c "checkpoint"
}

# latency_stats FILE... : p50/p90/p99/max in ms of pgbench per-transaction logs (column 3 = latency in µs).
pgbench_latency() {
    cat "$@" | awk '{print $3}' | sort -n | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "p50_ms=NaN p90_ms=NaN p99_ms=NaN max_ms=NaN n=0"; exit }
            printf "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f n=%d\n",
                v[int(NR * 0.50 + 0.999999)] / 1000, v[int(NR * 0.90 + 0.999999)] / 1000,
                v[int(NR * 0.99 + 0.999999)] / 1000, v[NR] / 1000, NR
        }'
}

# field NAME LINE: the value of NAME=value in a line of key=value pairs.
field() {
    tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k {print $2}'
}
