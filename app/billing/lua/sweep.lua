-- Ends holds past their expiry, whose request never settled (its process died, or could
-- not reach Redis to settle). Either way the request's own settle, should it come later,
-- is a duplicate (the hs: marker), so the credits freed here can never be spent twice.
-- - With a checkpoint (heartbeat.lua: output was delivered): marked swept, so heartbeats
--   are refused, and returned to the caller, which settles it at the checkpoint through
--   settle.lua (booking stays in one place). Until then it stays due: a sweeper that dies
--   in between leaves it to the next sweep.
-- - Without one: nothing was delivered, so the hold is released and nothing is charged.
-- Either way the request's concurrency slot is freed with its hold (here, or by settle.lua).
-- ARGV: now_ms, max holds per call
-- Returns {released, then request_id, cost, tokens, record_json for each checkpoint}
local due = redis.call('ZRANGEBYSCORE', P .. 'holds', '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {0}
for _, rid in ipairs(due) do
  local hold = P .. 'h:' .. rid
  local h = redis.call('HMGET', hold, 'acc', 'amt', 'ck', 'ckt', 'ckr', 'kid', 'cc')
  if h[3] then
    redis.call('HSET', hold, 'swept', 1)
    out[#out + 1] = rid
    out[#out + 1] = h[3]
    out[#out + 1] = h[4]
    out[#out + 1] = h[5]
  else
    if h[1] then
      for _, n in ipairs(split_lines(h[1])) do redis.call('HINCRBY', P .. 'a:' .. n, 'held', -tonumber(h[2])) end
      rate_settle(h[6], rid, 0)
    end
    if h[7] then redis.call('SREM', h[7], rid) end
    redis.call('DEL', hold)
    redis.call('ZREM', P .. 'holds', rid)
    redis.call('SET', P .. 'hs:' .. rid, '1', 'EX', 86400)
    out[1] = out[1] + 1
  end
end
return out
