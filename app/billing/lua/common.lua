-- Prepended to every meter script: Redis scripts cannot include one another.
-- Key names here must match app/billing/mirror.py.
local P = 'tg:'
-- Rolling windows: 60 buckets each, so a bucket is window/60 (5h: 5 min, 1d: 24 min, 7d: 168 min).
local WINDOWS = {{'5h', 18000000}, {'1d', 86400000}, {'7d', 604800000}}
local BUCKETS = 60

local function num(v)
  if not v then return 0 end
  return tonumber(v) or 0
end

-- ARGV carries '' for "no limit".
local function opt(v)
  if v == nil or v == '' then return nil end
  return tonumber(v)
end

-- Snapshot (nil when not loaded), unflushed and held of account n.
local function account(n)
  local snap = redis.call('GET', P .. 's:' .. n)
  local f = redis.call('HMGET', P .. 'a:' .. n, 'unflushed', 'held')
  if snap then snap = tonumber(snap) else snap = nil end
  return snap, num(f[1]), num(f[2])
end

-- Settled spend inside the window, counting the partly expired oldest bucket whole
-- (conservative), and its buckets oldest first as {index, spend} (for Retry-After).
local function window_sum(kid, name, span, now)
  local cur = math.floor(now / (span / BUCKETS))
  local flat = redis.call('HGETALL', P .. 'rw:' .. kid .. ':' .. name)
  local sum, buckets = 0, {}
  for i = 1, #flat, 2 do
    local idx, v = tonumber(flat[i]), tonumber(flat[i + 1])
    if idx >= cur - BUCKETS and v > 0 then
      sum = sum + v
      buckets[#buckets + 1] = {idx, v}
    end
  end
  table.sort(buckets, function(a, b) return a[1] < b[1] end)
  return sum, buckets
end

-- The first time (ms) at which at least `need` of the window's spend has left it: a bucket
-- stops counting once the bucket after the window's oldest has started. nil: never.
local function window_free_at(buckets, span, need)
  local freed = 0
  for _, b in ipairs(buckets) do
    freed = freed + b[2]
    if freed >= need then return (b[1] + BUCKETS + 1) * (span / BUCKETS) end
  end
  return nil
end

-- Rate log of a key with an RPM or TPM limit: rl: is a ZSET of request ids by admission
-- ms; rt: a hash of the tokens each counts (its bound in flight, then its actual tokens)
-- and '_sum', their total. An entry counts while younger than RATE_SPAN.
local RATE_SPAN = 60000
local function rate_keys(kid)
  return P .. 'rl:' .. kid, P .. 'rt:' .. kid
end

-- Drops what has left the trailing minute; returns the requests and tokens still in it.
local function rate_trim(kid, now)
  local log, tok = rate_keys(kid)
  while true do
    local gone = redis.call('ZRANGEBYSCORE', log, '-inf', now - RATE_SPAN, 'LIMIT', 0, 500)
    if #gone == 0 then break end
    local freed = 0
    for _, v in ipairs(redis.call('HMGET', tok, unpack(gone))) do freed = freed + num(v) end
    redis.call('HDEL', tok, unpack(gone))
    redis.call('ZREM', log, unpack(gone))
    redis.call('HINCRBY', tok, '_sum', -freed)
    if #gone < 500 then break end
  end
  local n = redis.call('ZCARD', log)
  if n == 0 then
    redis.call('DEL', tok)  -- the log expired first: no stale total may outlive it
    return 0, 0
  end
  return n, num(redis.call('HGET', tok, '_sum'))
end

-- The first time (ms) at which the oldest entries holding at least `need` tokens (or,
-- with tokens false, `need` requests) have left the trailing minute. nil: never.
local function rate_free_at(kid, need, tokens)
  local log, tok = rate_keys(kid)
  if not tokens then
    local at = redis.call('ZRANGE', log, need - 1, need - 1, 'WITHSCORES')
    if #at == 0 then return nil end
    return tonumber(at[2]) + RATE_SPAN
  end
  local freed, start = 0, 0
  while true do
    local page = redis.call('ZRANGE', log, start, start + 99, 'WITHSCORES')
    if #page == 0 then return nil end
    local ids = {}
    for i = 1, #page, 2 do ids[#ids + 1] = page[i] end
    for j, v in ipairs(redis.call('HMGET', tok, unpack(ids))) do
      freed = freed + num(v)
      if freed >= need then return tonumber(page[2 * j]) + RATE_SPAN end
    end
    start = start + 100
  end
end

-- Counts a finished request's tokens in place of its bound while it is in the trailing
-- minute; never more than the bound it was admitted with. Released and swept: 0 tokens.
local function rate_settle(kid, rid, tokens)
  if not kid then return end
  local _, tok = rate_keys(kid)
  local was = tonumber(redis.call('HGET', tok, rid))
  if not was then return end
  local now_counts = math.min(math.max(tokens, 0), was)
  if now_counts ~= was then
    redis.call('HSET', tok, rid, now_counts)
    redis.call('HINCRBY', tok, '_sum', now_counts - was)
  end
end

local function split_lines(s)
  local out = {}
  for part in string.gmatch(s, '[^\n]+') do out[#out + 1] = part end
  return out
end
