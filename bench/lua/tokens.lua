-- POST BENCH_PATH with {"session_token": …[, "otps": {"email": code}]} from BENCH_FILE's lines
-- ("token code" or "token"), each thread its own share, cycling when exhausted.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
local headers, lines, i, path, field
function init(args)
  headers = common.headers()
  path = os.getenv("BENCH_PATH")
  field = os.getenv("BENCH_CODE_FIELD") or "email"
  lines = common.lines(os.getenv("BENCH_FILE"), id, tonumber(os.getenv("BENCH_THREADS")))
  i = 0
end
function request()
  i = i % #lines + 1
  local token, code = lines[i]:match("^(%S+)%s*(%S*)$")
  local body
  if code ~= "" then
    body = string.format('{"session_token": "%s", "otps": {"%s": "%s"}}', token, field, code)
  else
    body = string.format('{"session_token": "%s"}', token)
  end
  return wrk.format("POST", path, headers, body)
end
function response(status) common.count(status) end
