-- wrk script: oneM2M AE registration (create of an AE under the CSEBase), every request a new AE-ID.
--   wrk -t1 -c32 -d10s -s scripts/bench/ae.lua http://127.0.0.1:PORT -- 1000 runtag
-- The AE-IDs are C<runtag>-<thread>-<n>: give every run its own tag (the 1000 is not used). Every response must be
-- HTTP 201 with X-M2M-RSC 2001; done() prints a "BENCH ..." line with the counts.
package.path = (debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install(201, "2001")

function request()
  local _, ri = common.next()
  local ae = "C" .. ri
  return wrk.format("POST", "/cse-in", {
    ["X-M2M-Origin"] = ae,
    ["X-M2M-RI"] = ri,
    ["X-M2M-RVI"] = "3",
    ["Content-Type"] = "application/json;ty=2",
    ["Accept"] = "application/json",
  }, '{"m2m:ae":{"rn":"' .. ae .. '","api":"Nbench","rr":false,"srv":["3"]}}')
end
