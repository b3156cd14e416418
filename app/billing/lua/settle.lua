-- Settlement of one request, at most once: releases its hold, books the cost as
-- unflushed spend on each account and in the key's rolling windows, counts its actual
-- tokens in TPM in place of its bound, frees its slot in the plan's concurrency, and
-- queues the usage record for the flusher.
-- Release is a settlement with cost 0 and no tokens.
-- ARGV: request_id, cost, actual_tokens, record_json, now_ms, wallet_id, key_id,
--       model (raw), model (JSON string)
local rid, cost, actual = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now, wid, kid, model = tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8]
local W, K, KM = 'w:' .. wid, 'k:' .. kid, 'km:' .. kid .. ':' .. model

local function balances(q)
  local ws, wu, wh = account(W)
  local wallet = false
  if ws then wallet = ws - wu - wh end
  local key = -1
  if q then
    local ks, ku, kh = account(K)
    if ks then key = math.max(0, q - ks - ku - kh) else key = false end
  end
  return wallet, key
end

if not redis.call('SET', P .. 'hs:' .. rid, '1', 'NX', 'EX', 86400) then
  local wallet, _ = balances(nil)
  return {'duplicate', wallet, false, 0, 0}
end

local hold = P .. 'h:' .. rid
local h = redis.call('HMGET', hold, 'acc', 'amt', 'q', 'cc')
local clamped, held, quota = 0, h[2] ~= false, nil
if cost < 0 then cost = 0 end
if held then
  local amt = tonumber(h[2])
  -- The caller clamps to the hold; a cost above it is a bug we refuse to bill.
  if cost > amt then cost = amt; clamped = 1 end
  for _, n in ipairs(split_lines(h[1])) do redis.call('HINCRBY', P .. 'a:' .. n, 'held', -amt) end
  redis.call('DEL', hold)
  redis.call('ZREM', P .. 'holds', rid)
  if h[4] then redis.call('SREM', h[4], rid) end  -- its slot among the org's requests in flight
  rate_settle(kid, rid, actual)
  quota = opt(h[3])
end

if cost > 0 then
  for _, n in ipairs({W, K, KM}) do redis.call('HINCRBY', P .. 'a:' .. n, 'unflushed', cost) end
  for _, w in ipairs(WINDOWS) do
    local size = w[2] / BUCKETS
    local cur = math.floor(now / size)
    local rw = P .. 'rw:' .. kid .. ':' .. w[1]
    redis.call('HINCRBY', rw, cur, cost)
    for _, idx in ipairs(redis.call('HKEYS', rw)) do
      if tonumber(idx) < cur - BUCKETS then redis.call('HDEL', rw, idx) end
    end
    redis.call('PEXPIRE', rw, w[2] + 2 * size)
  end
end

local envelope = '{"cost":' .. string.format('%d', cost) .. ',"clamped":' .. (clamped == 1 and 'true' or 'false')
  .. ',"held":' .. (held and 'true' or 'false') .. ',"w":' .. wid .. ',"k":' .. kid .. ',"m":' .. ARGV[9]
  .. ',"r":' .. ARGV[4] .. '}'
local waiting = redis.call('RPUSH', P .. 'usage:q', envelope)
local wallet, key = balances(quota)
return {'ok', wallet, key, waiting, clamped, h[3] or ''}
