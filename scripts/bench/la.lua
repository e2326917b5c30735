-- wrk script: oneM2M retrieve of a container's latest contentInstance (<container>/la), round robin over the
-- benchmark AEs.
--   wrk -t1 -c32 -d10s -s scripts/bench/la.lua http://127.0.0.1:PORT -- 1000 runtag
-- Every response must be HTTP 200 with X-M2M-RSC 2000; done() prints a "BENCH ..." line with the counts.
package.path = (debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install(200, "2000")

function request()
  local ae, ri = common.next()
  return wrk.format("GET", "/cse-in/" .. ae .. "/" .. container .. "/la", {
    ["X-M2M-Origin"] = ae,
    ["X-M2M-RI"] = ri,
    ["X-M2M-RVI"] = "3",
    ["Accept"] = "application/json",
    ["Authorization"] = common.authorization(ae),
  })
end
