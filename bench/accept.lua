-- wrk script of bench/accept-path.sh: POST /v1/images/edits?async=true, multipart (model, prompt, the 48 KiB PNG),
-- the bench team's key; with BENCH_TEAMS=N (1..4) each request goes to one of the teams bench, bench-2 .. bench-N at
-- random. The body file is written by accept-path.sh (ACCEPT_BODY); its boundary is ACCEPT_BOUNDARY.
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "wrk-report.lua")

local file = assert(io.open((assert(os.getenv("ACCEPT_BODY"), "ACCEPT_BODY not set")), "rb"))
local body = file:read("*a")
file:close()
local contentType = "multipart/form-data; boundary=" .. assert(os.getenv("ACCEPT_BOUNDARY"))
local teams = tonumber(os.getenv("BENCH_TEAMS") or "1")
local requests = {}

init = function(args)
    -- Prepared once per thread: request() then costs wrk a table lookup, not a string build.
    for n = 1, teams do
        local key = n == 1 and "bench-key" or ("bench-key-" .. n)
        requests[n] = wrk.format("POST", "/v1/images/edits?async=true",
            { ["Content-Type"] = contentType, ["Authorization"] = "Bearer " .. key }, body)
    end
    math.randomseed(os.time() + tonumber(tostring(requests):match("0x(%x+)") or "0", 16) % 1000003)
end

request = function()
    return requests[teams == 1 and 1 or math.random(teams)]
end

done = function(summary, latency, requests)
    report(summary, latency)
end
