-- Deletes one event (one stripe of it) for `ticketd seed --reset`: its pool, ledger, per-user counts, description
-- and a pool being built, in one step; never while an instance holds an escrow of it, unless forced.
--
-- KEYS[1] event:{ID}:tickets, KEYS[2] event:{ID}:purchases, KEYS[3] event:{ID}:users, KEYS[4] event:{ID}:meta,
-- KEYS[5] event:{ID}:seeding:{seeder} (this seeder's), KEYS[6] event:{ID}:escrows, KEYS[7] event:{ID}:resetting
-- ARGV[1] the prefix of the event's escrow lists, event:{ID}:escrow: (same hash tag, so same slot)
-- ARGV[2] 'force' to delete the escrows too
--
-- An escrow holds tickets that the new pool will hold again, and its instance keeps a copy that it may sell from
-- while Redis is out of its reach: so the seeder first has the instances give their escrows back
-- (recall-escrows.lua). Returns the instances that still hold one, deleting nothing; or, with 'force', deletes their
-- escrows too (those instances may then sell the tickets a second time). Having deleted, returns how many escrows
-- went with the event.
local holders = redis.call('SMEMBERS', KEYS[6])
if #holders > 0 and ARGV[2] ~= 'force' then return holders end
for _, instance in ipairs(holders) do
    redis.call('DEL', ARGV[1] .. instance)
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
return #holders
