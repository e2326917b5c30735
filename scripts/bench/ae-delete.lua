-- wrk script: oneM2M AE deregistration (delete of an AE that ae.lua registered), every request another AE.
--   wrk -t1 -c32 -d10s -s scripts/bench/ae-delete.lua http://127.0.0.1:PORT -- 1000 runtag POOL
-- POOL lists the AEs to delete, in order, as "prefix:first:last,prefix:first:last,...": the AE-IDs <prefix><n> for n
-- from first to last, as ae.lua names them (prefix C<runtag>-<thread>-). One wrk thread only (a second would delete
-- the same AEs). Every response must be HTTP 200 with X-M2M-RSC 2002; done() prints the "BENCH ..." line, then
-- "BENCH pool_left=..." with the AEs not yet sent a delete (an AE whose delete was in flight at the end is not
-- listed again) and "BENCH pool_exhausted=1" if the pool ran out before the end (the rate is then not valid).
package.path = (debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install(200, "2002")

local function parse(pool)
  local segments = {}
  for prefix, first, last in string.gmatch(pool or "", "([^:,]+):(%d+):(%d+)") do
    segments[#segments + 1] = { prefix = prefix, first = tonumber(first), last = tonumber(last) }
  end
  return segments
end

local segments, exhausted_request
local base_init = init
function init(args)
  base_init(args)
  pool = args[3] or ""
  segments = parse(pool)
  -- Position in the pool: segment `seg`, next n `n` (globals, read back by done() through thread:get).
  seg = 1
  n = segments[1] and segments[1].first or 0
  exhausted = 0
  -- Sent once the pool is empty: it cannot succeed as a delete, so the run shows errors rather than a false rate.
  exhausted_request = wrk.format("GET", "/cse-in", { ["X-M2M-Origin"] = "CAdmin", ["X-M2M-RI"] = "exhausted", ["X-M2M-RVI"] = "3" })
end

function request()
  while segments[seg] and n > segments[seg].last do
    seg = seg + 1
    n = segments[seg] and segments[seg].first or 0
  end
  if not segments[seg] then
    exhausted = 1
    return exhausted_request
  end
  local ae = segments[seg].prefix .. n
  n = n + 1
  local _, ri = common.next()
  return wrk.format("DELETE", "/cse-in/" .. ae, {
    ["X-M2M-Origin"] = ae,
    ["X-M2M-RI"] = ri,
    ["X-M2M-RVI"] = "3",
    ["Accept"] = "application/json",
  })
end

local base_done = done
function done(summary, latency, requests)
  base_done(summary, latency, requests)
  for _, thread in ipairs(threads_of_run) do
    local left = {}
    local all = parse(thread:get("pool"))
    local at, next_n = thread:get("seg"), thread:get("n")
    for i = at, #all do
      local first = (i == at) and next_n or all[i].first
      if first <= all[i].last then
        left[#left + 1] = all[i].prefix .. ":" .. first .. ":" .. all[i].last
      end
    end
    io.write("BENCH pool_left=" .. table.concat(left, ",") .. "\n")
    if thread:get("exhausted") == 1 then io.write("BENCH pool_exhausted=1\n") end
  end
end

local base_setup = setup
threads_of_run = {}
function setup(thread)
  base_setup(thread)
  table.insert(threads_of_run, thread)
end
