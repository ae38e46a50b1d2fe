-- wrk script of bench/read-path.sh: GET /v1/jobs/{id} with the bench team's key, the id drawn uniformly from the
-- READ_JOBS jobs read-path.sh seeded (id number n -> img_ + n written in 26 letters, the same formula as its SQL).
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "wrk-report.lua")

local jobs = tonumber((assert(os.getenv("READ_JOBS"), "READ_JOBS not set")))
local key = "Bearer " .. (os.getenv("BENCH_KEY") or "bench-key")
local requests = {}

local function id(n)
    -- translate(lpad(n, 26, '0'), '0123456789', 'abcdefghij')
    return "img_" .. (string.format("%026d", n):gsub("%d", function(d) return string.char(97 + tonumber(d)) end))
end

init = function(args)
    -- Prepared once per thread: request() then costs wrk a table lookup, not a string build.
    for n = 1, jobs do
        requests[n] = wrk.format("GET", "/v1/jobs/" .. id(n), { ["Authorization"] = key })
    end
    math.randomseed(os.time() + tonumber(tostring(requests):match("0x(%x+)") or "0", 16) % 1000003)
end

request = function()
    return requests[math.random(jobs)]
end

done = function(summary, latency, requests)
    report(summary, latency)
end
