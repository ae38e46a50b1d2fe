-- wrk script of bench/accept-path.sh: POST /v1/images/edits?async=true, multipart (model, prompt, the 48 KiB PNG),
-- the bench team's key. The body file is written by accept-path.sh (ACCEPT_BODY); its boundary is ACCEPT_BOUNDARY.
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "wrk-report.lua")

local file = assert(io.open((assert(os.getenv("ACCEPT_BODY"), "ACCEPT_BODY not set")), "rb"))
wrk.method = "POST"
wrk.path = "/v1/images/edits?async=true"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. assert(os.getenv("ACCEPT_BOUNDARY"))
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "bench-key")

done = function(summary, latency, requests)
    report(summary, latency)
end
