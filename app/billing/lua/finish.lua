-- After the batch's PostgreSQL commit: its spend is now in the database, so it leaves
-- unflushed and enters the snapshot (wallet balance down, key spend up), keeping
-- "available" unchanged without a reload. Only the first finish of a batch counts.
-- ARGV: batch_id, then pairs of account, cost
local id = ARGV[1]
local batch = P .. 'usage:b:' .. id
if redis.call('EXISTS', batch) == 0 then return 0 end
local began = redis.call('HDEL', P .. 'usage:began', id) == 1
for i = 2, #ARGV, 2 do
  local n, cost = ARGV[i], tonumber(ARGV[i + 1])
  local a, s = P .. 'a:' .. n, P .. 's:' .. n
  if began then redis.call('HINCRBY', a, 'flushing', -1) end
  if cost ~= 0 then redis.call('HINCRBY', a, 'unflushed', -cost) end
  if redis.call('EXISTS', s) == 1 then
    if redis.call('HGET', a, 'dirty') then
      redis.call('DEL', s)
      redis.call('HDEL', a, 'dirty')
    elseif cost ~= 0 then
      if string.sub(n, 1, 2) == 'w:' then redis.call('DECRBY', s, cost) else redis.call('INCRBY', s, cost) end
    end
  end
  redis.call('HINCRBY', a, 'gen', 1)
end
redis.call('DEL', batch)
redis.call('ZREM', P .. 'usage:batches', id)
return 1
