-- django-phone-verify: POST /api/phone/register {phone_number} with a new number each time, or
-- (BENCH_FILE set) POST /api/phone/verify {phone_number, session_token, security_code} from its lines.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
local headers, lines, i, n
function init(args)
  headers = common.headers()
  local file = os.getenv("BENCH_FILE")
  if file and file ~= "" then
    lines = common.lines(file, id, tonumber(os.getenv("BENCH_THREADS")))
  end
  -- Rounds of one figure (bench/stack.py _pair) each start where no earlier round has been.
  i, n = 0, (tonumber(os.getenv("BENCH_ROUND")) or 0) * 100000
end
function request()
  if lines then
    i = i % #lines + 1
    local phone, token, code = lines[i]:match("^(%S+)%s+(%S+)%s+(%S+)$")
    local body = string.format('{"phone_number": "%s", "session_token": "%s", "security_code": "%s"}', phone, token, code)
    return wrk.format("POST", "/api/phone/verify", headers, body)
  end
  n = n + 1
  local body = string.format('{"phone_number": "+14152%06d"}', (id * 500000 + n) % 1000000)
  return wrk.format("POST", "/api/phone/register", headers, body)
end
function response(status) common.count(status) end
