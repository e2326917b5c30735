-- Shared by cin.lua and la.lua (wrk 4.x, LuaJIT). Not a wrk script on its own.
--
-- wrk runs setup() in the main Lua state once per thread, then init/request/response in each thread's own
-- state, then done() in the main state; per-thread counters are read back with thread:get (the documented
-- pattern from wrk's scripts/setup.lua).
--
-- Script arguments (after `--` on the wrk command line):
--   1: number of AEs (default 1000): the targets are Cbench0000 .. Cbench(N-1)
--   2: run tag (default: the time), put into every X-M2M-RI so IDs stay unique across runs
--   3: container name under each AE (default cnt); the global `container`
--   4: secret (optional): every request then carries HTTP Basic credentials <AE-ID>:<secret>

local M = {}

local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- Base64 of a string (RFC 4648, with padding): 3 bytes -> 4 characters of 6 bits each.
local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local function char(shift) local k = math.floor(n / shift) % 64 + 1 return b64:sub(k, k) end
    out[#out + 1] = char(262144) .. char(4096) .. (b and char(64) or "=") .. (c and char(1) or "=")
  end
  return table.concat(out)
end

function M.install(expected_status, expected_rsc)
  local threads = {}
  local next_id = 0

  function setup(thread)
    thread:set("tid", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
  end

  function init(args)
    aes = tonumber(args[1] or "1000")
    tag = args[2] or tostring(os.time())
    container = args[3] or "cnt"
    secret = args[4]
    authorization = {}
    -- Threads start at different AEs so that, with several threads, they do not walk the AEs in lockstep.
    ae_index = (tid * 7919) % aes
    sent = 0
    responses = 0
    bad_status = 0
    bad_rsc = 0
    first_bad = ""
  end

  function response(status, headers, body)
    responses = responses + 1
    if status ~= expected_status then
      bad_status = bad_status + 1
      if first_bad == "" then first_bad = tostring(status) .. " " .. tostring(body):sub(1, 160) end
    elseif headers["X-M2M-RSC"] ~= expected_rsc then
      bad_rsc = bad_rsc + 1
      if first_bad == "" then first_bad = "RSC " .. tostring(headers["X-M2M-RSC"]) end
    end
  end

  -- Next target and a request ID unique across threads and runs.
  function M.next()
    local ae = string.format("Cbench%04d", ae_index)
    ae_index = ae_index + 1
    if ae_index >= aes then ae_index = 0 end
    sent = sent + 1
    return ae, tag .. "-" .. tid .. "-" .. sent
  end

  -- The Authorization header for an AE (nil without a secret), computed once per AE.
  function M.authorization(ae)
    if not secret then return nil end
    local value = authorization[ae]
    if not value then
      value = "Basic " .. base64(ae .. ":" .. secret)
      authorization[ae] = value
    end
    return value
  end

  function done(summary, latency, requests)
    local total, status, rsc, first = 0, 0, 0, ""
    for _, thread in ipairs(threads) do
      total = total + thread:get("responses")
      status = status + thread:get("bad_status")
      rsc = rsc + thread:get("bad_rsc")
      local f = thread:get("first_bad")
      if first == "" and f ~= "" then first = f end
    end
    local e = summary.errors
    io.write(string.format(
      "BENCH responses=%d bad_status=%d bad_rsc=%d socket_errors=%d timeouts=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f\n",
      total, status, rsc, e.connect + e.read + e.write, e.timeout,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000))
    if first ~= "" then io.write("BENCH first_bad: " .. first .. "\n") end
  end
end

return M
