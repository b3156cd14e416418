-- A fallback to another route after admission: counts the request in that route's provider
-- log (see reserve.lua, "Provider capacity") if it has room for this caller, else nothing.
-- ARGV: request_id, provider_id, cap, now_ms. Returns 1 when counted, 0 when full.
local log, cap, now = P .. 'pr:' .. ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - RATE_SPAN)
if redis.call('ZCARD', log) >= cap then return 0 end
redis.call('ZADD', log, now, ARGV[1])
redis.call('PEXPIRE', log, 2 * RATE_SPAN)
return 1
