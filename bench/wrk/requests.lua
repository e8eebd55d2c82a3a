-- Replays pre-built requests from a file (one per line: METHOD \t PATH \t HEADERS \t BODY,
-- headers "Name: value" joined by \31). Each wrk thread takes every n-th line, so with
-- mode "once" (unique webhook ids) no two requests repeat until the file is used up; the
-- number of wrap-arounds is reported. done() prints one JSON line for bench/run.py.
-- usage: wrk -t2 -c32 -d10s -s bench/wrk/requests.lua URL -- FILE once|cycle THREADS

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local path, mode = args[1], args[2] or "cycle"
  local nthreads = tonumber(args[3] or "1")
  local total = 0
  for _ in io.lines(path) do total = total + 1 end
  if total < nthreads then nthreads = 1; tid = 0 end  -- fewer lines than threads: share them
  reqs = {}
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local method, p, hdrs, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      for h in string.gmatch(hdrs, "[^\31]+") do
        local k, v = h:match("^([^:]+):%s*(.*)$")
        headers[k] = v
      end
      if body == "" then body = nil end
      table.insert(reqs, wrk.format(method, p, headers, body))
    end
    i = i + 1
  end
  idx = 0
  wrapped = 0
  once = (mode == "once")
end

function request()
  idx = idx + 1
  if idx > #reqs then
    idx = 1
    wrapped = wrapped + 1
  end
  return reqs[idx]
end

function done(summary, latency, requests)
  local wraps = 0
  for _, t in ipairs(threads) do wraps = wraps + (t:get("wrapped") or 0) end
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_status":%d,"errors_timeout":%d,"lat_mean_us":%.1f,"p50_us":%d,"p90_us":%d,' ..
    '"p95_us":%d,"p99_us":%d,"max_us":%d,"wrapped":%d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, wraps))
end
