-- Sets snapshots read from PostgreSQL, each only if its account's gen is unchanged since
-- the caller read it before querying: a commit that landed in between (a gift, a flush)
-- bumped gen, and the caller must read again. A snapshot set while a flush is between
-- its claim and finish is marked dirty: finish drops it rather than adjusting it, since
-- it cannot know whether the value already includes that flush.
-- ARGV: triples of account, gen read before the query ('' = none), value
local out = {}
for i = 1, #ARGV, 3 do
  local n, seen, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local a = P .. 'a:' .. n
  local f = redis.call('HMGET', a, 'gen', 'flushing')
  if (f[1] or '') == seen then
    redis.call('SET', P .. 's:' .. n, value, 'EX', 300)
    if num(f[2]) > 0 then redis.call('HSET', a, 'dirty', 1) else redis.call('HDEL', a, 'dirty') end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
