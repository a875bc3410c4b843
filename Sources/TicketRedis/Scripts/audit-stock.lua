-- Reads one event's unsold tickets for the audit in one step: the pool and every instance's escrow, so that an
-- escrow-take.lua or escrow-return.lua of a running instance cannot show a ticket in two places, or in none; and the
-- ledger's size and the per-user counts at that moment, so that the counts can be checked while sales go on.
--
-- KEYS[1] event:{ID}:tickets, KEYS[2] event:{ID}:escrows, KEYS[3] event:{ID}:purchases, KEYS[4] event:{ID}:users
-- ARGV[1] the prefix of the event's escrow lists, event:{ID}:escrow: (same hash tag, so same slot)
-- Returns {sold, {user, count, ...}, pool, instance, escrow, instance, escrow, ...}, each pool and escrow a list
-- of ticket ids.
local reply = {redis.call('HLEN', KEYS[3]), redis.call('HGETALL', KEYS[4]), redis.call('LRANGE', KEYS[1], 0, -1)}
for _, instance in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    table.insert(reply, instance)
    table.insert(reply, redis.call('LRANGE', ARGV[1] .. instance, 0, -1))
end
return reply
