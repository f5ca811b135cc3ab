-- wrk script for bench/auth_cost.sh: GET /v1/user/{id} or PUT /v1/transaction, with or without a Bearer key.
-- usage: wrk -t1 -c32 -d5s -s bench/wrk-auth.lua URL -- get|put IDS_FILE [SECRET]
local mode, ids, secret, counter, prefix = "get", {}, nil, 0, ""

function init(args)
  mode = args[1] or mode
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
  secret = args[3]
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6) + #tostring({}))
  prefix = string.format("auth%07x%04x", math.random(0, 0xfffffff), math.random(0, 0xffff))
end

local function headers()
  local h = {["Content-Type"] = "application/json"}
  if secret then h["Authorization"] = "Bearer " .. secret end
  return h
end

function request()
  local user = ids[math.random(1, #ids)]
  if mode == "get" then return wrk.format("GET", "/v1/user/" .. user, headers()) end
  counter = counter + 1
  local body = string.format('{"uid":"%s-%d","type":"DEPOSIT","amount":"%d.%02d","user_id":%s}',
                             prefix, counter, math.random(1, 100), math.random(0, 99), user)
  return wrk.format("PUT", "/v1/transaction", headers(), body)
end

-- Any answer other than 200 means the run measured something else (a 401 is cheap): counted and reported.
local bad = 0
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", bad))
end
