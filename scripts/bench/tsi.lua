-- wrk script: oneM2M timeSeriesInstance create, round robin over the benchmark AEs' timeSeries "ts".
--   wrk -t1 -c32 -d10s -s scripts/bench/tsi.lua http://127.0.0.1:PORT -- 1000 runtag
-- dgt is unique within each series (else 4105): the run's start second plus a per-thread counter as the fraction,
-- so runs that start at least a second apart never repeat one. Every response must be HTTP 201 with X-M2M-RSC 2001.
package.path = (debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install(201, "2001")

local start = os.time()
local count = 0

function request()
  local ae, ri = common.next()
  count = count + 1
  local n = count * 8 + tid
  local dgt = os.date("!%Y%m%dT%H%M%S", start + math.floor(n / 1000000)) .. string.format(",%06d", n % 1000000)
  return wrk.format("POST", "/cse-in/" .. ae .. "/ts", {
    ["X-M2M-Origin"] = ae,
    ["X-M2M-RI"] = ri,
    ["X-M2M-RVI"] = "3",
    ["Content-Type"] = "application/json;ty=30",
    ["Accept"] = "application/json",
    ["Authorization"] = common.authorization(ae),
  }, '{"m2m:tsi":{"dgt":"' .. dgt .. '","con":"21.5"}}')
end
