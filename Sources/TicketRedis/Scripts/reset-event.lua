-- Deletes one event for `ticketd seed --reset`: its pool, ledger, per-user counts, description, a pool being
-- built, and every instance's escrow of it, in one step, so that no escrow-take.lua runs in between and no escrow
-- keeps tickets that the new pool will hold again.
--
-- KEYS[1] event:{ID}:tickets, KEYS[2] event:{ID}:purchases, KEYS[3] event:{ID}:users, KEYS[4] event:{ID}:meta,
-- KEYS[5] event:{ID}:seeding, KEYS[6] event:{ID}:escrows
-- ARGV[1] the prefix of the event's escrow lists, event:{ID}:escrow: (same hash tag, so same slot)
-- Returns how many escrows were deleted. An instance still running finds its escrow gone at its next refresh.
local holders = redis.call('SMEMBERS', KEYS[6])
for _, instance in ipairs(holders) do
    redis.call('DEL', ARGV[1] .. instance)
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return #holders
