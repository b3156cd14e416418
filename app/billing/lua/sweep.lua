-- Releases holds whose request never settled (its process died): held drops back so an
-- abandoned hold can never cause false refusals. ARGV: now_ms, max holds per call
local due = redis.call('ZRANGEBYSCORE', P .. 'holds', '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, rid in ipairs(due) do
  local hold = P .. 'h:' .. rid
  local h = redis.call('HMGET', hold, 'acc', 'amt', 'kid')
  if h[1] then
    for _, n in ipairs(split_lines(h[1])) do redis.call('HINCRBY', P .. 'a:' .. n, 'held', -tonumber(h[2])) end
    rate_settle(h[3], rid, 0)
  end
  redis.call('DEL', hold)
  redis.call('ZREM', P .. 'holds', rid)
end
return #due
