-- GET BENCH_PATH with the API key (when BENCH_KEY is set).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
local req
function init(args) req = wrk.format("GET", os.getenv("BENCH_PATH"), common.headers()) end
function request() return req end
function response(status) common.count(status) end
