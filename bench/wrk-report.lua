-- Common wrk done(): one machine-readable line (latencies in ms). Loaded by accept.lua and read.lua.
function report(summary, latency)
    local e = summary.errors
    io.write(string.format(
        "WRK requests=%d duration_s=%.3f rps=%.1f non2xx=%d connect=%d read=%d write=%d timeout=%d "
            .. "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), e.status,
        e.connect, e.read, e.write, e.timeout, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000))
end
