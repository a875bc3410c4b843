-- Tops up one instance's escrow of one event from the pool, atomically, so that every ticket is at every moment
-- in exactly one place: the pool, one escrow, or the ledger.
--
-- KEYS[1] event:{ID}:tickets        list: the pool
-- KEYS[2] event:{ID}:escrow:{inst}  list: this instance's escrow
-- KEYS[3] event:{ID}:escrows        set: the instances holding an escrow of the event
-- KEYS[4] event:{ID}:meta           hash: the event's description
-- KEYS[5] event:{ID}:resetting      string: set while a reset waits for the escrows (see recall-escrows.lua)
-- ARGV[1] the instance id, ARGV[2] the escrow size wanted, ARGV[3] the pool size below which nothing is taken
--
-- Takes from the pool's tail (the pool sells from its head) until the escrow holds ARGV[2] tickets, never leaving
-- fewer than ARGV[3] in the pool. Returns {perUserLimit, tickets...}: the whole escrow after the top-up, so the
-- caller's mirror always equals Redis's, or {} when the event does not exist or a reset has begun: then the instance
-- gives its escrow back instead.
if redis.call('EXISTS', KEYS[4]) == 0 or redis.call('EXISTS', KEYS[5]) == 1 then return {} end
local wanted = tonumber(ARGV[2]) - redis.call('LLEN', KEYS[2])
local spare = redis.call('LLEN', KEYS[1]) - tonumber(ARGV[3])
local take = math.min(wanted, spare)
if take > 0 then
    local tickets = redis.call('RPOP', KEYS[1], take)
    redis.call('RPUSH', KEYS[2], unpack(tickets))
end
if redis.call('LLEN', KEYS[2]) > 0 then redis.call('SADD', KEYS[3], ARGV[1]) end
local escrow = redis.call('LRANGE', KEYS[2], 0, -1)
table.insert(escrow, 1, tonumber(redis.call('HGET', KEYS[4], 'perUserLimit') or '0'))
return escrow
