-- Claims a batch of usage records for one flusher. A batch claimed more than stale_ms ago
-- belongs to a flusher that died between claim and finish: it is handed out again (its
-- PostgreSQL writes are idempotent). Returns {batch_id, record...} or {}.
-- ARGV: now_ms, max records, stale_ms
local now, n, stale = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local batches = P .. 'usage:batches'
local old = redis.call('ZRANGEBYSCORE', batches, '-inf', now - stale, 'LIMIT', 0, 1)
if #old > 0 then
  local id = old[1]
  local items = redis.call('LRANGE', P .. 'usage:b:' .. id, 0, -1)
  if #items == 0 then
    redis.call('ZREM', batches, id)
    redis.call('HDEL', P .. 'usage:began', id)
  else
    redis.call('ZADD', batches, now, id)
    table.insert(items, 1, id)
    return items
  end
end
local items = redis.call('LPOP', P .. 'usage:q', n)
if not items then return {} end
local id = tostring(redis.call('INCR', P .. 'usage:seq'))
local batch = P .. 'usage:b:' .. id
for _, item in ipairs(items) do redis.call('RPUSH', batch, item) end
redis.call('ZADD', batches, now, id)
table.insert(items, 1, id)
return items
