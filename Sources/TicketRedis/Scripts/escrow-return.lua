-- Gives one instance's escrow of one event back to the pool, atomically.
--
-- KEYS[1] event:{ID}:tickets, KEYS[2] event:{ID}:escrow:{inst}, KEYS[3] event:{ID}:escrows
-- ARGV[1] the instance id
-- Returns how many tickets went back. The caller must have settled every sale it made from this escrow first:
-- a ticket sold from the escrow and not yet settled is still in the list and would go back to the pool.
local tickets = redis.call('LRANGE', KEYS[2], 0, -1)
if #tickets > 0 then
    redis.call('LPUSH', KEYS[1], unpack(tickets))
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return #tickets
