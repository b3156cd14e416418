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
-- (conservative), and the oldest bucket index that holds spend (for Retry-After).
local function window_sum(kid, name, span, now)
  local size = span / BUCKETS
  local cur = math.floor(now / size)
  local flat = redis.call('HGETALL', P .. 'rw:' .. kid .. ':' .. name)
  local sum, oldest = 0, nil
  for i = 1, #flat, 2 do
    local idx = tonumber(flat[i])
    local v = tonumber(flat[i + 1])
    if idx >= cur - BUCKETS and v > 0 then
      sum = sum + v
      if oldest == nil or idx < oldest then oldest = idx end
    end
  end
  local retry = 0
  if oldest then retry = math.ceil(((oldest + BUCKETS + 1) * size - now) / 1000) end
  return sum, retry
end

local function split_lines(s)
  local out = {}
  for part in string.gmatch(s, '[^\n]+') do out[#out + 1] = part end
  return out
end
