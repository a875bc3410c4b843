-- Reads one event's unsold tickets for the audit in one step: the pool and every instance's escrow, so that an
-- escrow-take.lua or escrow-return.lua of a running instance cannot show a ticket in two places, or in none; and the
-- ledger's size and the per-user counts at that moment, so that the counts can be checked while sales go on.
--
-- KEYS[1] event:{ID}:tickets, KEYS[2] event:{ID}:escrows, KEYS[3] event:{ID}:purchases, KEYS[4] event:{ID}:users
-- ARGV[1] the prefix of the event's escrow lists, event:{ID}:escrow: (same hash tag, so same slot)
-- ARGV[2...] instances whose escrow lists a scan of the keys found: those whose list still exists and that KEYS[2]
-- does not register are returned (an escrow nobody reads; the scan alone would also name lists given back since)
-- Returns {sold, {user, count, ...}, pool, {unregistered instance, ...}, instance, escrow, instance, escrow, ...},
-- each pool and escrow a list of ticket ids.
local registered = redis.call('SMEMBERS', KEYS[2])
local known = {}
for _, instance in ipairs(registered) do known[instance] = true end
local unregistered = {}
for index = 2, #ARGV do
    if not known[ARGV[index]] and redis.call('EXISTS', ARGV[1] .. ARGV[index]) == 1 then
        table.insert(unregistered, ARGV[index])
    end
end
local reply = {redis.call('HLEN', KEYS[3]), redis.call('HGETALL', KEYS[4]), redis.call('LRANGE', KEYS[1], 0, -1), unregistered}
for _, instance in ipairs(registered) do
    table.insert(reply, instance)
    table.insert(reply, redis.call('LRANGE', ARGV[1] .. instance, 0, -1))
end
return reply
