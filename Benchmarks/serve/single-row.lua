-- wrk script for Benchmarks/serve/run.sh: POSTs one row per request, cycling through the bodies in
-- $BODIES (a Lua file returning a list of JSON strings), and prints one machine-readable summary line.
local bodies = dofile(os.getenv("BODIES"))
local path = os.getenv("SCORE_PATH")
local index = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
    index = index % #bodies + 1
    return wrk.format(nil, path, nil, bodies[index])
end

function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
        "RESULT requests=%d seconds=%.3f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
        summary.requests, summary.duration / 1e6,
        latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
        latency.max / 1e3, errors.status,
        errors.connect + errors.read + errors.write + errors.timeout))
end
