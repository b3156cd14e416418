-- A live stream's heartbeat: pushes its hold's expiry forward and records what has been
-- delivered so far (the checkpoint), so that if the process dies the sweep settles the
-- hold at that checkpoint instead of releasing it for free.
-- Returns 1, or 0 when the hold is gone (settled, or taken by the sweep): the stream
-- must stop, since whatever it sends from then on could not be charged.
-- ARGV: request_id, now_ms, hold_ttl_ms, cost so far ('' = nothing delivered yet),
--       tokens so far, usage record JSON
local rid, now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local hold = P .. 'h:' .. rid
local h = redis.call('HMGET', hold, 'amt', 'swept')
if not h[1] or h[2] then return 0 end
redis.call('ZADD', P .. 'holds', 'XX', now + ttl, rid)
redis.call('PEXPIRE', hold, ttl + 3600000)
if ARGV[4] ~= '' then
  -- Never above the hold, like settle.lua.
  local cost = math.min(math.max(tonumber(ARGV[4]), 0), tonumber(h[1]))
  redis.call('HSET', hold, 'ck', cost, 'ckt', ARGV[5], 'ckr', ARGV[6])
end
return 1
