-- Begins or gives up a reset of one event (one stripe of it) for `ticketd seed --reset`.
--
-- KEYS[1] event:{ID}:meta, KEYS[2] event:{ID}:escrows
-- ARGV[1] 'begin' or 'abandon'
--
-- 'begin' marks the description `resetting`: escrow-take.lua then takes nothing more of the event, and each
-- instance gives its escrow back at its next refresh. 'abandon' removes the mark, so escrows are taken again.
-- Returns the instances that still hold an escrow of the event: the reset may delete the event once there are none.
if redis.call('EXISTS', KEYS[1]) == 1 then
    if ARGV[1] == 'begin' then
        redis.call('HSET', KEYS[1], 'resetting', '1')
    else
        redis.call('HDEL', KEYS[1], 'resetting')
    end
end
return redis.call('SMEMBERS', KEYS[2])
