-- Before finish.lua, for records of the batch that could not be written: remembers each
-- one's cost and accounts as "phantom" unflushed spend, so that replaying or writing it
-- off later takes exactly that cost out of "unflushed" once (unpark.lua). Skipped for a
-- batch already finished, and for a record already unparked (a reclaimed stale batch).
-- ARGV: batch_id, then pairs of request_id, "cost\naccount\naccount..."
if redis.call('EXISTS', P .. 'usage:b:' .. ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do
  if redis.call('EXISTS', P .. 'usage:unparked:' .. ARGV[i]) == 0 then
    redis.call('HSET', P .. 'usage:phantom', ARGV[i], ARGV[i + 1])
  end
end
return 1
