-- wrk script: POST pre-signed form bodies, each sent once.
--   wrk ... -s post.lua URL -- <threads> <bodies file> <path> <cycle 0|1>
-- Each line of the bodies file is "<X-Twilio-Signature>\t<urlencoded body>". Thread n
-- keeps lines n, n + threads, n + 2 * threads, ... so no two threads send the same one.
-- With cycle=1 (the bare endpoint: one fixed body) every thread repeats all lines.
--
-- wrk runs this file once in the main Lua state and once in each thread's own state.
-- setup() runs in the main state and hands each thread its number with thread:set(),
-- which sets a *global* in that thread's state: tid, bodies, next_body and the counters
-- below must stay globals. A `local tid` at the top would shadow it, every thread would
-- keep the same slice and replay the same requests (duplicates, not load).

local threads = {}  -- only the main state's copy is used (setup, done)

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   nthreads = tonumber(args[1])
   local file, cycle = args[2], args[4] == "1"
   path = args[3]
   bodies, signatures = {}, {}
   local i = 0
   for line in io.lines(file) do
      if cycle or i % nthreads == tid then
         local signature, body = line:match("^([^\t]*)\t(.*)$")
         signatures[#signatures + 1] = signature
         bodies[#bodies + 1] = body
      end
      i = i + 1
   end
   if #bodies == 0 then
      error("thread " .. tid .. " has no bodies in " .. file)
   end
   cycling = cycle
   next_body, sent, ok, other, exhausted = 1, 0, 0, 0, 0
end

function request()
   local n = next_body
   if n > #bodies then
      -- Out of fresh bodies: wrap round so wrk keeps going, but say so; the harness then
      -- refuses the figures.
      if not cycling then exhausted = exhausted + 1 end
      n = 1
   end
   next_body = n + 1
   sent = sent + 1
   return wrk.format("POST", path, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Twilio-Signature"] = signatures[n],
   }, bodies[n])
end

function response(status, headers, body)
   if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
   local sent_all, ok_all, other_all, exhausted_all = 0, 0, 0, 0
   for _, thread in ipairs(threads) do
      sent_all = sent_all + thread:get("sent")
      ok_all = ok_all + thread:get("ok")
      other_all = other_all + thread:get("other")
      exhausted_all = exhausted_all + thread:get("exhausted")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"sent": %d, "ok": %d, "other": %d, "exhausted": %d, "errors": {"connect": %d, '
      .. '"read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      sent_all, ok_all, other_all, exhausted_all, e.connect, e.read, e.write, e.status,
      e.timeout))
end
