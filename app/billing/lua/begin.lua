-- Marks the batch's accounts as flushing before its PostgreSQL commit, once per batch,
-- so a snapshot loaded meanwhile is known to be ambiguous (see load.lua).
-- Returns 0 when the batch is gone (another flusher finished it): skip it.
-- ARGV: batch_id, account...
local id = ARGV[1]
if redis.call('EXISTS', P .. 'usage:b:' .. id) == 0 then return 0 end
if redis.call('HSETNX', P .. 'usage:began', id, 1) == 1 then
  for i = 2, #ARGV do redis.call('HINCRBY', P .. 'a:' .. ARGV[i], 'flushing', 1) end
end
return 1
