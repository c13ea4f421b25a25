-- wrk script for bench/epp.sh: the REST twin of one EPP command per request.
-- Environment: MODE (create | check | info), IOTREG_TOKEN, IOTREG_OWNER, IOTREG_MNO, EID_PREFIX (6 digits, the run's
-- own EID space), EIDS_FILE (info: one EID per line, devices the ASP sponsors).
local mode = os.getenv("MODE")
local token = os.getenv("IOTREG_TOKEN")
local owner = os.getenv("IOTREG_OWNER")
local mno = os.getenv("IOTREG_MNO")
local prefix = os.getenv("EID_PREFIX")
local threads = {}
local counter = 0
local eids = {}

function setup(thread)
    thread:set("thread_id", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    if mode == "info" then
        for line in io.lines(os.getenv("EIDS_FILE")) do
            if #line == 32 then table.insert(eids, line) end
        end
    end
end

local function mod97(digits)
    local r = 0
    for i = 1, #digits do r = (r * 10 + tonumber(digits:sub(i, i))) % 97 end
    return r
end

local function eid(n)
    local body = string.format("8904%s%02d%018d", prefix, thread_id, n)
    return body .. string.format("%02d", 98 - mod97(body .. "00"))
end

local function iccid(n)
    local body = string.format("89886%02d%012d", thread_id, n)
    local sum, len = 0, #body
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
    local auth = { ["Authorization"] = "Bearer " .. token }
    if mode == "create" then
        auth["Content-Type"] = "application/json"
        local body = string.format('{"eid":"%s","iccid":"%s","owner":"%s","mno":"%s","model":"bench"}',
            eid(counter), iccid(counter), owner, mno)
        return wrk.format("POST", "/v1/devices", auth, body)
    elseif mode == "check" then
        -- REST has no check; the nearest is the public status of an EID nobody registered (404 = available).
        return wrk.format("GET", "/v1/public/devices/" .. eid(counter % 100000 + 50000000), auth)
    else
        return wrk.format("GET", "/v1/devices/" .. eids[counter % #eids + 1], auth)
    end
end

local unexpected = 0
response = function(status, headers, body)
    local ok = (mode == "create" and status == 201) or (mode == "check" and status == 404)
        or (mode == "info" and status == 200)
    if not ok then unexpected = unexpected + 1 end
end

done = function(summary, latency, requests)
    io.write(string.format("wrk %s: %d requests, p50 %.2f ms, p99 %.2f ms\n", mode, summary.requests,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
