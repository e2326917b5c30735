-- wrk script: oneM2M contentInstance create, round robin over the benchmark AEs' containers.
--   wrk -t1 -c32 -d10s -s scripts/bench/cin.lua http://127.0.0.1:PORT -- 1000 runtag
-- Every response must be HTTP 201 with X-M2M-RSC 2001; done() prints a "BENCH ..." line with the counts.
package.path = (debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install(201, "2001")

local body = '{"m2m:cin":{"con":"21.5"}}'

function request()
  local ae, ri = common.next()
  return wrk.format("POST", "/cse-in/" .. ae .. "/" .. container, {
    ["X-M2M-Origin"] = ae,
    ["X-M2M-RI"] = ri,
    ["X-M2M-RVI"] = "3",
    ["Content-Type"] = "application/json;ty=4",
    ["Accept"] = "application/json",
    ["Authorization"] = common.authorization(ae),
  }, body)
end
