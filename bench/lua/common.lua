-- Shared by every script: the API key header, status counting per thread, and one JSON line of
-- results (requests/s, p50/p95/p99 in ms, non-2xx and socket errors) printed by done().
local M = {}
local threads = {}

function M.setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function M.headers()
  local headers = {["Content-Type"] = "application/json"}
  local key = os.getenv("BENCH_KEY")
  if key and key ~= "" then headers["X-API-Key"] = key end
  return headers
end

function M.count(status)
  if status < 200 or status > 299 then
    bad = (bad or 0) + 1
    if first_bad == nil then first_bad = status end
  end
end

function M.done(summary, latency, requests)
  local bad_total, first = 0, "none"
  for _, thread in ipairs(threads) do
    bad_total = bad_total + (thread:get("bad") or 0)
    local seen = thread:get("first_bad")
    if seen then first = tostring(seen) end
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.2f, "p95_ms": %.2f, ' ..
    '"p99_ms": %.2f, "non_2xx": %d, "first_non_2xx": "%s", "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    bad_total, first, errors))
end

-- Lines of a file (tokens and codes written by bench/seed.py), split among threads by id.
function M.lines(path, id, nthreads)
  local out, n = {}, 0
  for line in io.lines(path) do
    if n % nthreads == id then table.insert(out, line) end
    n = n + 1
  end
  return out
end

return M
