-- wrk script for bench/submit.py.
--
-- Arguments after "--": MODE NTHREADS [FILE]
--   MODE "get"   plain GET of the URL's path
--   MODE "post"  POST; FILE holds one request a line, "cookie<TAB>urlencoded body"; each wrk
--                thread takes every NTHREADS-th line and sends each once, in order, then
--                starts over (repeats are idempotent duplicates)
-- The done() callback prints one machine-readable line starting with "BENCH ".

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

local requests = {}
local index = 0
sent = 0
nbodies = 0

local function read_bodies(path, nthreads, all)
  local n = 0
  for line in io.lines(path) do
    if all or n % nthreads == tid then
      local cookie, body = line:match("^([^\t]*)\t(.*)$")
      local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
      if cookie ~= "" then
        headers["Cookie"] = cookie
      end
      table.insert(requests, wrk.format("POST", wrk.path, headers, body))
    end
    n = n + 1
  end
end

function init(args)
  local mode, nthreads, path = args[1], tonumber(args[2]), args[3]
  if mode == "post" then
    read_bodies(path, nthreads, false)
    if #requests == 0 then -- fewer lines than threads: share them all
      read_bodies(path, nthreads, true)
    end
  else
    table.insert(requests, wrk.format("GET", wrk.path))
  end
  nbodies = #requests
end

function request()
  sent = sent + 1
  index = index % nbodies + 1
  return requests[index]
end

function done(summary, latency, _requests)
  local total_sent, unique = 0, 0
  for _, thread in ipairs(threads) do
    local s, n = thread:get("sent"), thread:get("nbodies")
    total_sent = total_sent + s
    unique = unique + math.min(s, n)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f max_us=%.0f"
      .. " status_errors=%d connect=%d read=%d write=%d timeout=%d sent=%d unique_sent=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.connect, e.read, e.write, e.timeout, total_sent, unique
  ))
end
