# Shared by the bench/ scripts (source it): classpath, a stand-alone PostgreSQL 17 process, the packaged service.
# Everything listens on loopback only.

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Compiles main and test code and writes the test classpath to target/cp.txt.
bench_build() {
    (cd "$BENCH_ROOT" && ./mvnw -q test-compile \
        && ./mvnw -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test)
}

# Runs a test-scope driver's static run(String[]): bench_driver CLASS ARGS...
bench_driver() {
    java -cp "$BENCH_ROOT/target/test-classes:$BENCH_ROOT/target/classes:$(cat "$BENCH_ROOT/target/cp.txt")" \
        "$BENCH_ROOT/bench/RunTestScopeMain.java" "$@"
}

# start_postgres PORT DATA_DIR [fresh=true|false]: starts PostgreSQL in the background, waits until it answers and
# sets POSTGRES_PID. Database imageedit, user/password postgres. Stop with stop_postgres (a clean shutdown; the same
# DATA_DIR with fresh=false starts it again with its data).
start_postgres() {
    local port=$1 dir=$2 fresh=${3:-true} log
    log="$dir.log"
    mkdir -p "$(dirname "$dir")"
    # emptied here, not only by the background redirect below, which may come after the first grep: a previous run's
    # "POSTGRES READY" must not pass for this one's
    : >"$log"
    # exec: POSTGRES_PID is then the JVM itself, which stops PostgreSQL on SIGTERM
    (exec java -cp "$BENCH_ROOT/target/test-classes:$BENCH_ROOT/target/classes:$(cat "$BENCH_ROOT/target/cp.txt")" \
        "$BENCH_ROOT/bench/RunTestScopeMain.java" com.acme.imageedit.bench.StandalonePostgres "$port" "$dir" "$fresh" \
        >"$log" 2>&1) &
    POSTGRES_PID=$!
    for _ in $(seq 1 600); do
        if grep -q "POSTGRES READY" "$log"; then return 0; fi
        if ! kill -0 "$POSTGRES_PID" 2>/dev/null; then cat "$log" >&2; return 1; fi
        sleep 0.1
    done
    echo "PostgreSQL did not start within 60 s" >&2
    return 1
}

stop_postgres() {
    kill -TERM "$POSTGRES_PID" 2>/dev/null || true
    wait "$POSTGRES_PID" 2>/dev/null || true
}

# The packaged service (./mvnw -q package -DskipTests first).
service_jar() {
    ls "$BENCH_ROOT"/target/image-edit-proxy-*.jar | grep -v plain | head -1
}
