-- wrk script: the handheld's plate check, GET /api/v1/plates/<plate>?zone=<code>.
--   wrk ... -s plates.lua URL -- <threads> <plates file> <bearer token>
-- Each line of the plates file is "<plate>\t<zone code>"; every request picks one at
-- random. As in post.lua, tid and the counters are globals that setup()/init() give each
-- thread's own Lua state: no `local` for them at the top.

local threads = {}  -- only the main state's copy is used (setup, done)

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   checks = {}
   for line in io.lines(args[2]) do
      local plate, zone = line:match("^([^\t]*)\t(.*)$")
      checks[#checks + 1] = "/api/v1/plates/" .. plate .. "?zone=" .. zone
   end
   if #checks == 0 then error("no plates in " .. args[2]) end
   headers = { ["Authorization"] = "Bearer " .. args[3] }
   math.randomseed(os.time() * 1000 + tid * 7919)
   sent, ok, other = 0, 0, 0
end

function request()
   sent = sent + 1
   return wrk.format("GET", checks[math.random(#checks)], headers)
end

function response(status, headers, body)
   if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
   local sent_all, ok_all, other_all = 0, 0, 0
   for _, thread in ipairs(threads) do
      sent_all = sent_all + thread:get("sent")
      ok_all = ok_all + thread:get("ok")
      other_all = other_all + thread:get("other")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"sent": %d, "ok": %d, "other": %d, "exhausted": 0, "errors": {"connect": %d, '
      .. '"read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      sent_all, ok_all, other_all, e.connect, e.read, e.write, e.status, e.timeout))
end
