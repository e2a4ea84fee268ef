-- POST /api/v1/otp/send to a new email address each time (the fraud guard caps sends per recipient).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
local headers, n, tag
function init(args)
  headers = common.headers()
  n = 0
  tag = os.getenv("BENCH_TAG") .. "t" .. id
end
function request()
  n = n + 1
  local body = string.format('{"channels": ["email"], "recipients": {"email": "u%d-%s@example.com"}}', n, tag)
  return wrk.format("POST", "/api/v1/otp/send", headers, body)
end
function response(status) common.count(status) end
