-- wrk script: oneM2M container create under the benchmark AEs, round robin, a name the CSE generates for each.
--   wrk -t1 -c32 -d10s -s scripts/bench/cnt.lua http://127.0.0.1:PORT -- 1000 runtag
-- Every response must be HTTP 201 with X-M2M-RSC 2001; done() prints a "BENCH ..." line with the counts.
package.path = (debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install(201, "2001")

local body = '{"m2m:cnt":{"mni":10}}'

function request()
  local ae, ri = common.next()
  return wrk.format("POST", "/cse-in/" .. ae, {
    ["X-M2M-Origin"] = ae,
    ["X-M2M-RI"] = ri,
    ["X-M2M-RVI"] = "3",
    ["Content-Type"] = "application/json;ty=3",
    ["Accept"] = "application/json",
    ["Authorization"] = common.authorization(ae),
  }, body)
end
