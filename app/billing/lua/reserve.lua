-- Admission in one round trip: every limit, cap and the wallet are checked in order, and
-- only when all pass are counters bumped and the hold placed. A refusal changes nothing.
-- ARGV: request_id, wallet_id, key_id, org_id ('' none), model, amount, est_tokens,
--       rpm, tpm, quota, cap_5h, cap_1d, cap_7d, model_cap, messages_per_12h ('' = none),
--       now_ms, hold_ttl_ms, key generation ('' = not checked), concurrency ('' = none),
--       then per route in the order it is tried: provider_id, cap, limit ('' = none); no
--       routes when none of their providers has an RPM limit
local rid, wid, kid, org, model = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local amount, est = tonumber(ARGV[6]), tonumber(ARGV[7])
local rpm, tpm, quota = opt(ARGV[8]), opt(ARGV[9]), opt(ARGV[10])
local caps = {opt(ARGV[11]), opt(ARGV[12]), opt(ARGV[13])}
local model_cap, msgs = opt(ARGV[14]), opt(ARGV[15])
local now, ttl = tonumber(ARGV[16]), tonumber(ARGV[17])
local concurrency = opt(ARGV[19])
local W, K, KM = 'w:' .. wid, 'k:' .. kid, 'km:' .. kid .. ':' .. model
local hold = P .. 'h:' .. rid

-- A replay of an admitted request (redis-py retries a script whose reply was lost)
-- answers what the first run answered and holds nothing more.
local first = redis.call('HMGET', hold, 'ra', 'rk')
if first[1] then return {'ok', first[1], first[2], redis.call('HGET', hold, 'rt') or 0} end
if redis.call('EXISTS', P .. 'hs:' .. rid) == 1 then return {'duplicate', 0, 0, 0} end
-- The caller's cached key predates a revocation (app/gateway/keycache.py): it must reload it.
if ARGV[18] ~= '' and (redis.call('GET', P .. 'keycache:gen') or '0') ~= ARGV[18] then
  return {'stale_key', 0, 0, 0}
end

-- Nothing is checked against a balance that is not loaded: ask the caller to load it.
local ws, wu, wh = account(W)
local ks, ku, kh = account(K)
local ms, mu, mh = account(KM)
local missing = {'load'}
if not ws then missing[#missing + 1] = W end
if quota and not ks then missing[#missing + 1] = K end
if model_cap and not ms then missing[#missing + 1] = KM end
if #missing > 1 then return missing end

-- The first failing check names the refusal; the later ones still run so that Retry-After
-- is the time at which every one of them passes (-1: no time will, it is left out).
local refused, wait = nil, 0
local function fail(err, limit, used, at)
  if not refused then refused = {err, limit, used} end
  if at == nil then wait = -1 elseif wait >= 0 then wait = math.max(wait, at - now) end
end

local logged = rpm or tpm
local requests, tokens = 0, 0
if logged then requests, tokens = rate_trim(kid, now) end
if rpm and requests + 1 > rpm then
  fail('rpm', rpm, requests, wait >= 0 and rate_free_at(kid, requests + 1 - rpm, false) or nil)
end
if tpm and tokens + est > tpm then
  fail('tpm', tpm, tokens, (wait >= 0 and est <= tpm) and rate_free_at(kid, tokens + est - tpm, true) or nil)
end

-- Plan allowance: fixed 12-hour windows aligned to the Unix epoch.
local pm_key = nil
if org ~= '' then
  local idx = math.floor(now / 43200000)
  pm_key = P .. 'pm:' .. org .. ':' .. idx
  if msgs then
    local used = num(redis.call('GET', pm_key))
    if used + 1 > msgs then fail('plan_window', msgs, used, msgs > 0 and (idx + 1) * 43200000 or nil) end
  end
end

-- Requests in flight on the wallet (the plan's concurrency): no time is known at which one
-- ends, so it sets no Retry-After.
local inflight = P .. 'cc:' .. wid
if concurrency then
  local running = redis.call('SCARD', inflight)
  if running + 1 > concurrency then fail('concurrency', concurrency, running, nil) end
end

-- Open holds count too; they are assumed to stay, so only settled spend can free room.
for i, w in ipairs(WINDOWS) do
  local cap = caps[i]
  if cap then
    local sum, buckets = window_sum(kid, w[1], w[2], now)
    local used = sum + kh
    if used + amount > cap then
      fail('cap_' .. w[1], cap, used, wait >= 0 and window_free_at(buckets, w[2], used + amount - cap) or nil)
    end
  end
end

local key_remaining = -1
if quota then
  local used = ks + ku + kh
  if used + amount > quota then fail('quota', quota, used, nil) end
  key_remaining = quota - used - amount
end
if model_cap then
  local used = ms + mu + mh
  if used + amount > model_cap then fail('model_cap', model_cap, used, nil) end
end
local available = ws - wu - wh
if amount > available then fail('insufficient_funds', amount, available, nil) end

-- Provider capacity: the first route whose provider has room for this caller in its trailing
-- minute. A non-priority caller's cap stops short of the limit, keeping the rest for
-- priority plans; when no route has room, the refusal says whether that share is the reason.
local route, route_log, kept, free_at, first_n = 0, nil, false, nil, 0
for i = 20, #ARGV, 3 do
  local cap, limit = opt(ARGV[i + 1]), opt(ARGV[i + 2])
  local log = P .. 'pr:' .. ARGV[i]
  local n = 0
  if cap then
    redis.call('ZREMRANGEBYSCORE', log, '-inf', now - RATE_SPAN)
    n = redis.call('ZCARD', log)
  end
  if i == 20 then first_n = n end
  if not cap or n < cap then
    route, route_log = math.floor((i - 17) / 3), cap and log
    break
  end
  if n < limit then kept = true end
  local at = redis.call('ZRANGE', log, n - cap, n - cap, 'WITHSCORES')
  if #at > 0 and (not free_at or tonumber(at[2]) + RATE_SPAN < free_at) then free_at = tonumber(at[2]) + RATE_SPAN end
end
if #ARGV >= 20 and route == 0 then
  fail(kept and 'provider_priority' or 'provider_rpm', tonumber(ARGV[22]), first_n, free_at)
end
if refused then
  local retry = 0
  if wait > 0 then retry = math.ceil(wait / 1000) end
  return {refused[1], refused[2], refused[3], retry}
end

-- Every check passed: count the request and place the hold.
if logged then
  local log, tok = rate_keys(kid)
  redis.call('ZADD', log, now, rid)
  redis.call('HSET', tok, rid, est)
  redis.call('HINCRBY', tok, '_sum', est)
  redis.call('PEXPIRE', log, 2 * RATE_SPAN)
  redis.call('PEXPIRE', tok, 2 * RATE_SPAN)
end
if pm_key then
  redis.call('INCR', pm_key)
  redis.call('EXPIRE', pm_key, 43260)
end
if concurrency then
  redis.call('SADD', inflight, rid)
  -- Only a lost hold record could strand a member; the set then ends with the org's idle day.
  redis.call('PEXPIRE', inflight, ttl + 86400000)
end
if route_log then
  redis.call('ZADD', route_log, now, rid)
  redis.call('PEXPIRE', route_log, 2 * RATE_SPAN)
end
for _, n in ipairs({W, K, KM}) do redis.call('HINCRBY', P .. 'a:' .. n, 'held', amount) end
redis.call('HSET', hold, 'acc', W .. '\n' .. K .. '\n' .. KM, 'amt', amount, 'kid', kid,
           'model', model, 'q', ARGV[10], 'ra', available - amount, 'rk', key_remaining, 'rt', route)
if concurrency then redis.call('HSET', hold, 'cc', inflight) end
-- The record outlives its expiry by an hour so the sweep always finds what to release.
redis.call('PEXPIRE', hold, ttl + 3600000)
redis.call('ZADD', P .. 'holds', now + ttl, rid)
return {'ok', available - amount, key_remaining, route}
