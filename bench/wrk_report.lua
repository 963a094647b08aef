-- wrk script of bench/public_pages.py (make bench): extra headers from the command line, one client
-- address per request, every status counted, and a one-line JSON summary with the percentiles that
-- wrk's own --latency output lacks (p95).
--
--   wrk -t2 -c4 -d5s -s bench/wrk_report.lua URL -- "If-None-Match: W/\"abc\"" "X-Forwarded-Proto: https"

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for _, line in ipairs(args) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
    -- "fresh-query=<run>": every request a query no one asked for before (the run's own mark, the
    -- thread, a counter), so no kept copy can answer it
    local run = line:match("^fresh%-query=(.+)$")
    if run then fresh_query = run end
  end
  statuses = {}
end

-- Behind the proxy each visitor has its own address (X-Forwarded-For): per-address limits such as the
-- API's throttle then see many visitors, as in production, not one client sending everything.
function request()
  counter = counter + 1
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", thread_number, math.floor(counter / 250) % 250, counter % 250 + 1)
  if fresh_query then
    local separator = wrk.path:find("?", 1, true) and "&" or "?"
    return wrk.format(nil, string.format("%s%sdrawn=%s-%d-%d", wrk.path, separator, fresh_query, thread_number, counter))
  end
  return wrk.format()
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%s": %d', status, n)) end
  local errors = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    table.concat(parts, ", ")))
end
