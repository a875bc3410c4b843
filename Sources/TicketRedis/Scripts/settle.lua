-- Records sales an instance made from its escrow while Redis was unreachable (its journal), idempotently by
-- purchase id, so that a journal replayed twice, or after a crash halfway, changes nothing the second time.
--
-- KEYS[1] event:{ID}:tickets    list: the pool
-- KEYS[2] event:{ID}:purchases  hash: the ledger
-- KEYS[3] event:{ID}:users      hash: tickets per buyer (kept for an event with a per-user limit)
-- KEYS[4] event:{ID}:meta       hash: the event's description
-- KEYS[5] event:{ID}:escrow:{inst}
-- ARGV    n sales, four arguments each: purchase id, ticket, user ('' when anonymous), millis
--
-- Returns one code per sale:
--  0  the ledger holds this very sale already (settled before): nothing changes
--  1  recorded: the ledger has it, the ticket left the escrow, the buyer's count went up
--  2  recorded over Redis's own sale of the same purchase id (a purchase whose Redis outcome was unknown and that
--     the buyer was answered from escrow): the buyer's answer wins, Redis's ticket goes back to the pool, the
--     buyer's count is unchanged (it counted that purchase once already)
--  3  recorded, but the ticket was not in the escrow (an escrow released by force): taken from the pool if it
--     was there; if it was sold to another purchase, the audit will show it
--  4  not recorded: Redis no longer describes the event (its data lost, or the event deleted). A ledger written
--     for it would count these tickets sold in the event seeded next under the same id, whose pool sells them again.
if redis.call('EXISTS', KEYS[4]) == 0 then
    local gone = {}
    for _ = 1, #ARGV, 4 do gone[#gone + 1] = 4 end
    return gone
end
local limit = tonumber(redis.call('HGET', KEYS[4], 'perUserLimit') or '0')
local codes = {}
for i = 1, #ARGV, 4 do
    local id, ticket, user, millis = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local record = redis.call('HGET', KEYS[2], id)
    local recordTicket = record and string.match(record, '^(%S+) ')
    if recordTicket == ticket then
        redis.call('LREM', KEYS[5], 1, ticket)
        codes[#codes + 1] = 0
    else
        local code = 1
        if record then
            redis.call('LPUSH', KEYS[1], recordTicket)
            code = 2
        elseif limit > 0 and user ~= '' then
            redis.call('HINCRBY', KEYS[3], user, 1)
        end
        if redis.call('LREM', KEYS[5], 1, ticket) == 0 then
            redis.call('LREM', KEYS[1], 1, ticket)
            code = 3
        end
        redis.call('HSET', KEYS[2], id, ticket .. ' ' .. user .. ' ' .. millis)
        codes[#codes + 1] = code
    end
end
return codes
