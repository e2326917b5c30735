-- wrk script: oneM2M flexContainer update, round robin over the benchmark AEs' flexContainer "fc" (a temperature
-- module class, cod:tempe, with mni 10: every update also makes a flexContainerInstance).
--   wrk -t1 -c32 -d10s -s scripts/bench/fcnt.lua http://127.0.0.1:PORT -- 1000 runtag
-- Every response must be HTTP 200 with X-M2M-RSC 2004.
package.path = (debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install(200, "2004")

local count = 0

function request()
  local ae, ri = common.next()
  count = count + 1
  return wrk.format("PUT", "/cse-in/" .. ae .. "/fc", {
    ["X-M2M-Origin"] = ae,
    ["X-M2M-RI"] = ri,
    ["X-M2M-RVI"] = "3",
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Authorization"] = common.authorization(ae),
  }, '{"cod:tempe":{"curT0":' .. string.format("%.1f", 15 + (count % 100) / 10) .. '}}')
end
