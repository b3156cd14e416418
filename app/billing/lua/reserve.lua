-- Admission in one round trip: every limit, cap and the wallet are checked in order, and
-- only when all pass are counters bumped and the hold placed. A refusal changes nothing.
-- ARGV: request_id, wallet_id, key_id, org_id ('' none), model, amount, est_tokens,
--       rpm, tpm, quota, cap_5h, cap_1d, cap_7d, model_cap, messages_per_12h ('' = none),
--       now_ms, hold_ttl_ms
local rid, wid, kid, org, model = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local amount, est = tonumber(ARGV[6]), tonumber(ARGV[7])
local rpm, tpm, quota = opt(ARGV[8]), opt(ARGV[9]), opt(ARGV[10])
local caps = {opt(ARGV[11]), opt(ARGV[12]), opt(ARGV[13])}
local model_cap, msgs = opt(ARGV[14]), opt(ARGV[15])
local now, ttl = tonumber(ARGV[16]), tonumber(ARGV[17])
local W, K, KM = 'w:' .. wid, 'k:' .. kid, 'km:' .. kid .. ':' .. model

-- Nothing is checked against a balance that is not loaded: ask the caller to load it.
local ws, wu, wh = account(W)
local ks, ku, kh = account(K)
local ms, mu, mh = account(KM)
local missing = {'load'}
if not ws then missing[#missing + 1] = W end
if quota and not ks then missing[#missing + 1] = K end
if model_cap and not ms then missing[#missing + 1] = KM end
if #missing > 1 then return missing end
if redis.call('EXISTS', P .. 'h:' .. rid) == 1 then return {'duplicate', 0, 0, 0} end

local minute = math.floor(now / 60000)
local to_next_minute = math.ceil(((minute + 1) * 60000 - now) / 1000)
local rpm_key = P .. 'rpm:' .. kid .. ':' .. minute
local tpm_key = P .. 'tpm:' .. kid .. ':' .. minute
if rpm then
  local used = num(redis.call('GET', rpm_key))
  if used + 1 > rpm then return {'rpm', rpm, used, to_next_minute} end
end
if tpm then
  local used = num(redis.call('GET', tpm_key))
  if used + est > tpm then return {'tpm', tpm, used, to_next_minute} end
end

-- Plan allowance: fixed 12-hour windows aligned to the Unix epoch.
local pm_key = nil
if org ~= '' then
  local idx = math.floor(now / 43200000)
  pm_key = P .. 'pm:' .. org .. ':' .. idx
  if msgs then
    local used = num(redis.call('GET', pm_key))
    if used + 1 > msgs then
      return {'plan_window', msgs, used, math.ceil(((idx + 1) * 43200000 - now) / 1000)}
    end
  end
end

for i, w in ipairs(WINDOWS) do
  local cap = caps[i]
  if cap then
    local sum, retry = window_sum(kid, w[1], w[2], now)
    local used = sum + kh
    if used + amount > cap then return {'cap_' .. w[1], cap, used, retry} end
  end
end

local key_remaining = -1
if quota then
  local used = ks + ku + kh
  if used + amount > quota then return {'quota', quota, used, 0} end
  key_remaining = quota - used - amount
end
if model_cap then
  local used = ms + mu + mh
  if used + amount > model_cap then return {'model_cap', model_cap, used, 0} end
end
local available = ws - wu - wh
if amount > available then return {'insufficient_funds', amount, available, 0} end

-- Every check passed: count the request and place the hold.
redis.call('INCR', rpm_key)
redis.call('EXPIRE', rpm_key, 120)
redis.call('INCRBY', tpm_key, est)
redis.call('EXPIRE', tpm_key, 120)
if pm_key then
  redis.call('INCR', pm_key)
  redis.call('EXPIRE', pm_key, 43260)
end
for _, n in ipairs({W, K, KM}) do redis.call('HINCRBY', P .. 'a:' .. n, 'held', amount) end
local hold = P .. 'h:' .. rid
redis.call('HSET', hold, 'acc', W .. '\n' .. K .. '\n' .. KM, 'amt', amount, 'kid', kid,
           'model', model, 'tpm', tpm_key, 'est', est, 'q', ARGV[10])
-- The record outlives its expiry by an hour so the sweep always finds what to release.
redis.call('PEXPIRE', hold, ttl + 3600000)
redis.call('ZADD', P .. 'holds', now + ttl, rid)
return {'ok', available - amount, key_remaining}
