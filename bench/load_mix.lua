-- wrk script for bench/bench_load_wrk.py: GET a random one of the paths given after "--" on
-- wrk's command line, count the answers by status (a 503 by who refused it: with Retry-After,
-- yiwang's admission control; without, uvicorn's connection limit), and print one line
-- "YIWANG_RESULT {json}" at the end with the counts, wrk's own error counts and the latency
-- percentiles of all answers (wrk records no latency per status).

local requests = {}
local threads = {}

-- per thread, read by done() through thread:get()
statuses = {}

function setup(thread)
   thread:set("seed", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   -- args[0] is the URL; the paths follow
   for i = 1, #args do
      requests[#requests + 1] = wrk.format("GET", args[i])
   end
   if #requests == 0 then
      error("no paths given: wrk ... -s load_mix.lua URL -- /path ...")
   end
   math.randomseed(os.time() * 1000 + (seed or 0))
end

function request()
   return requests[math.random(#requests)]
end

function response(status, headers, body)
   local key = tostring(status)
   if status == 503 then
      if headers["retry-after"] or headers["Retry-After"] then
         key = "503_admission"
      else
         key = "503_other"
      end
   end
   statuses[key] = (statuses[key] or 0) + 1
end

local function json_object(map)
   local parts = {}
   for k, v in pairs(map) do
      parts[#parts + 1] = string.format("%q:%s", tostring(k), tostring(v))
   end
   return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
   local merged = {}
   for _, thread in ipairs(threads) do
      for k, v in pairs(thread:get("statuses") or {}) do
         merged[k] = (merged[k] or 0) + v
      end
   end
   local percentiles = {}
   for _, p in ipairs({50, 90, 99, 99.9}) do
      percentiles[#percentiles + 1] = string.format("%q:%d", tostring(p), latency:percentile(p))
   end
   local e = summary.errors
   io.write("YIWANG_RESULT {",
      string.format("\"duration_us\":%d,\"requests\":%d,\"bytes\":%d,", summary.duration,
         summary.requests, summary.bytes),
      string.format("\"errors\":{\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,"
         .. "\"timeout\":%d},", e.connect, e.read, e.write, e.status, e.timeout),
      string.format("\"latency_us\":{%s,\"max\":%d,\"mean\":%.1f},",
         table.concat(percentiles, ","), latency.max, latency.mean),
      "\"statuses\":", json_object(merged), "}\n")
end
