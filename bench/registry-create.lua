-- wrk script: each request registers a new device with a unique, valid EID and ICCID.
-- Environment: IOTREG_TOKEN (ASP token), IOTREG_OWNER, IOTREG_MNO, IOTREG_BASE (30-digit-safe numeric prefix seed).
local token = os.getenv("IOTREG_TOKEN")
local owner = os.getenv("IOTREG_OWNER")
local mno = os.getenv("IOTREG_MNO")
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
    thread:set("thread_id", #threads + 1)
    table.insert(threads, thread)
end

local function mod97(digits)
    local r = 0
    for i = 1, #digits do r = (r * 10 + tonumber(digits:sub(i, i))) % 97 end
    return r
end

local function eid(n)
    local body = string.format("89049032%02d%020d", thread_id, n)
    local check = 98 - mod97(body .. "00")
    return body .. string.format("%02d", check)
end

local function iccid(n)
    local body = string.format("89882%02d%012d", thread_id, n)
    local sum = 0
    local len = #body
    for i = len, 1, -1 do
        local v = tonumber(body:sub(i, i))
        if (len - i) % 2 == 0 then
            v = v * 2
            if v > 9 then v = v - 9 end
        end
        sum = sum + v
    end
    return body .. tostring((10 - sum % 10) % 10)
end

request = function()
    counter = counter + 1
    local body = string.format('{"eid":"%s","iccid":"%s","owner":"%s","mno":"%s","model":"SParkometer"}',
        eid(counter), iccid(counter), owner, mno)
    return wrk.format("POST", "/v1/devices",
        { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

local errors = 0
response = function(status, headers, body)
    if status ~= 201 then errors = errors + 1 end
end

done = function(summary, latency, requests)
    local non201 = summary.errors.status
    io.write(string.format("wrk: %d requests, %d non-2xx, p50 %.1f ms, p99 %.1f ms\n",
        summary.requests, non201, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
