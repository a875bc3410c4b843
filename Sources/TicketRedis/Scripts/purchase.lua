-- Sells one ticket of one event, atomically, or says why not. Every key shares the event's hash tag.
--
-- KEYS[1] event:{ID}:tickets    list: the pool of unsold ticket ids
-- KEYS[2] event:{ID}:purchases  hash: purchase id -> "ticket user millis" (the ledger)
-- KEYS[3] event:{ID}:users      hash: user id -> tickets held
-- KEYS[4] event:{ID}:meta       hash: name, venue, startsAt, capacity, perUserLimit
-- ARGV[1] purchase id, chosen by the caller before the attempt
-- ARGV[2] user id, '' for an anonymous buyer
-- ARGV[3] purchase time in milliseconds since 1970
--
-- Returns {0, ticket} sold; {1, record} this purchase id was sold before (a retry or a repeated
-- Idempotency-Key); {-1} sold out; {-2, limit} the user holds the limit already; {-3} no such event.
-- Checks come before the pop, so a refusal changes nothing.

-- 1. Idempotent by purchase id: a retry after an unknown outcome can never sell a second ticket.
local record = redis.call('HGET', KEYS[2], ARGV[1])
if record then
    return {1, record}
end

-- 2. The per-user limit, checked before any stock is touched.
local user = ARGV[2]
if user ~= '' then
    local limit = tonumber(redis.call('HGET', KEYS[4], 'perUserLimit') or '0')
    if limit > 0 and tonumber(redis.call('HGET', KEYS[3], user) or '0') >= limit then
        return {-2, limit}
    end
end

-- 3. The pop. An empty pool is either sold out or an event that does not exist.
local ticket = redis.call('LPOP', KEYS[1])
if not ticket then
    if redis.call('EXISTS', KEYS[4]) == 0 then
        return {-3}
    end
    return {-1}
end

-- 4. The ledger and the buyer's count.
redis.call('HSET', KEYS[2], ARGV[1], ticket .. ' ' .. user .. ' ' .. ARGV[3])
if user ~= '' then
    redis.call('HINCRBY', KEYS[3], user, 1)
end
return {0, ticket}
