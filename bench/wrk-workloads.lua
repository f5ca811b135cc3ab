-- wrk script for the Tally workloads the shared perf scripts lack: balance-at-date, get-tx, mixed.
-- usage: wrk -t1 -c64 -d8s -s bench/wrk-workloads.lua URL -- MODE IDS_FILE [UIDS_FILE]
local mode, ids, uids, counter, prefix = "balance-at-date", {}, {}, 0, ""
local date_from = 1640995200  -- 2022-01-01T00:00:00Z, same span as tally-loadgen

function init(args)
  mode = args[1] or mode
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
  if args[3] then
    for line in io.lines(args[3]) do uids[#uids + 1] = line end
  end
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6) + #tostring({}))
  prefix = string.format("wrk%07x%04x", math.random(0, 0xfffffff), math.random(0, 0xffff))
end

local function user() return ids[math.random(1, #ids)] end

local function balance_at()
  local t = date_from + math.random(0, os.time() - date_from)
  return wrk.format("GET", "/v1/user/" .. user() .. "/balance?date=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", t))
end

local function get_tx()
  return wrk.format("GET", "/v1/transaction/" .. uids[math.random(1, #uids)])
end

local function put_tx()
  counter = counter + 1
  local kind = (math.random() < 0.5) and "WITHDRAW" or "DEPOSIT"
  local body = string.format('{"uid":"%s-%d","type":"%s","amount":"%d.%02d","user_id":%s}',
                             prefix, counter, kind, math.random(1, 100), math.random(0, 99), user())
  return wrk.format("PUT", "/v1/transaction", {["Content-Type"] = "application/json"}, body)
end

function request()
  if mode == "balance-at-date" then return balance_at() end
  if mode == "get-tx" then return get_tx() end
  -- mixed: 20% writes, 80% reads (60% balance, 20% balance at a date, 20% get-tx), as tally-loadgen does
  local r = math.random()
  if r < 0.20 then return put_tx() end
  if r < 0.68 then return wrk.format("GET", "/v1/user/" .. user() .. "/balance") end
  if r < 0.84 or #uids == 0 then return balance_at() end
  return get_tx()
end
