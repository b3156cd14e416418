-- After a parked or unsettled record was replayed (its charge committed) or written off:
-- takes its phantom cost out of "unflushed", at most once, and drops the accounts'
-- snapshots (bumping gen) so the next check reads the database, with the charge if any. When Redis lost its data
-- meanwhile, the phantom went with "unflushed" and nothing is taken out.
-- ARGV: request_id, account... (returns 1 when a phantom cost was cleared)
local rid = ARGV[1]
local phantom = P .. 'usage:phantom'
local v = redis.call('HGET', phantom, rid)
local cleared = 0
if v then
  local parts = split_lines(v)
  local cost = tonumber(parts[1])
  for i = 2, #parts do
    redis.call('HINCRBY', P .. 'a:' .. parts[i], 'unflushed', -cost)
    redis.call('HINCRBY', P .. 'a:' .. parts[i], 'gen', 1)
    redis.call('DEL', P .. 's:' .. parts[i])
  end
  redis.call('HDEL', phantom, rid)
  cleared = 1
end
redis.call('SET', P .. 'usage:unparked:' .. rid, '1', 'EX', 86400)
for i = 2, #ARGV do
  redis.call('HINCRBY', P .. 'a:' .. ARGV[i], 'gen', 1)
  redis.call('DEL', P .. 's:' .. ARGV[i])
end
return cleared
