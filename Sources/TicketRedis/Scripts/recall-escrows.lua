-- Begins or gives up a reset of one event (one stripe of it) for `ticketd seed --reset`.
--
-- KEYS[1] event:{ID}:meta, KEYS[2] event:{ID}:escrows, KEYS[3] event:{ID}:resetting
-- ARGV[1] 'begin' or 'abandon', ARGV[2] how long the mark lives, in milliseconds
--
-- 'begin' sets the mark `resetting` (of an event that exists), or renews it: escrow-take.lua then takes nothing more
-- of the event, and each instance gives its escrow back at its next refresh. The mark lapses on its own unless
-- renewed, so a seeder killed while it waits does not keep the fallback's escrow from the event for good.
-- 'abandon' removes it, so escrows are taken again.
-- Returns the instances that still hold an escrow of the event: the reset may delete the event once there are none.
if ARGV[1] == 'begin' then
    if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SET', KEYS[3], '1', 'PX', ARGV[2]) end
else
    redis.call('DEL', KEYS[3])
end
return redis.call('SMEMBERS', KEYS[2])
