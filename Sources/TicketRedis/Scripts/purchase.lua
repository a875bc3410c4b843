#!lua
-- Sells tickets of one event to a batch of purchases, atomically, each purchase judged as if it ran alone, in the
-- order given. Every key shares the event's hash tag.
--
-- KEYS[1] event:{ID}:tickets    list: the pool of unsold ticket ids
-- KEYS[2] event:{ID}:purchases  hash: purchase id -> "ticket user millis" (the ledger)
-- KEYS[3] event:{ID}:users      hash: user id -> tickets held (kept for events with a per-user limit)
-- KEYS[4] event:{ID}:meta       hash: name, venue, startsAt, capacity, perUserLimit
-- KEYS[5] event:{ID}:escrows    set: the instances holding an escrow, each in the list event:{ID}:escrow:<instance>
-- ARGV[1] the sale time of the batch, in milliseconds since 1970
-- ARGV[2] n, the number of purchases; ARGV[3] a, how many of them are anonymous (they come first)
-- then    the n purchase ids (chosen by the caller before the first attempt and kept for every retry), then the
--         user ids of the n - a purchases that name their buyer
--
-- Returns one answer per purchase, in order: a string, the ticket sold; {record} this purchase id was sold before
-- (a retry after an unknown outcome, a repeated Idempotency-Key, or the same id earlier in this batch); -1 sold
-- out; {-2, limit} the buyer holds the limit already; -3 no such event; -4 the pool is empty but an instance's
-- escrow still holds tickets of the event (it gives them back to the pool once the pool runs low).
--
-- Each purchase is checked in this order: 1. idempotency by purchase id, so a retry can never sell a second
-- ticket; 2. the per-user limit; 3. the pop. A refused purchase changes nothing. The shebang makes Redis refuse
-- the whole script when it is out of memory, before anything is popped, so a ticket is never popped unrecorded.
-- A batch costs Redis the same handful of calls whatever its size, and an anonymous purchase one argument: that
-- is what keeps a purchase cheap.

local millis, count, anonymous = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
-- The buyer of purchase i, or nil for an anonymous one.
local function buyer(i)
    if i > anonymous then return ARGV[3 + i + count - anonymous] end
end

-- Whether an instance's escrow holds tickets of the event: an empty pool is sold out only when none does. Read only
-- when the pool is empty. (An escrow's list is named after KEYS[5]: its final 's' becomes ':' and the instance id.)
local function escrowed()
    local prefix = string.sub(KEYS[5], 1, -2) .. ':'
    for _, instance in ipairs(redis.call('SMEMBERS', KEYS[5])) do
        if redis.call('LLEN', prefix .. instance) > 0 then return true end
    end
    return false
end

-- One purchase alone, the usual case when sales are quiet, takes a shorter way with the same answers and no
-- tables: about half the Redis CPU of the general way below.
if count == 1 then
    local id, user = ARGV[4], buyer(1)
    local record = redis.call('HGET', KEYS[2], id)
    if record then return {{record}} end
    local limit = 0
    if user then
        limit = tonumber(redis.call('HGET', KEYS[4], 'perUserLimit') or '0')
        if limit > 0 and tonumber(redis.call('HGET', KEYS[3], user) or '0') >= limit then return {{-2, limit}} end
    end
    local ticket = redis.call('LPOP', KEYS[1])
    if not ticket then
        if redis.call('EXISTS', KEYS[4]) == 0 then return {-3} end
        if escrowed() then return {-4} end
        return {-1}
    end
    redis.call('HSET', KEYS[2], id, ticket .. ' ' .. (user or '') .. ' ' .. millis)
    if limit > 0 then redis.call('HINCRBY', KEYS[3], user, 1) end
    return {ticket}
end

-- 1. Purchase ids already in the ledger.
local recorded = redis.call('HMGET', KEYS[2], unpack(ARGV, 4, 3 + count))

-- 2. The per-user limit, read only when a new purchase names its buyer; every such buyer's count read at once.
local limit = 0
for i = anonymous + 1, count do
    if not recorded[i] then
        limit = tonumber(redis.call('HGET', KEYS[4], 'perUserLimit') or '0')
        break
    end
end
local buyers, held = {}, {}
if limit > 0 then
    for i = anonymous + 1, count do
        local user = buyer(i)
        if not recorded[i] and not held[user] then
            held[user] = 0
            buyers[#buyers + 1] = user
        end
    end
    local counts = redis.call('HMGET', KEYS[3], unpack(buyers))
    for j, user in ipairs(buyers) do held[user] = tonumber(counts[j] or '0') end
end

-- Judges every purchase in order as if `available` tickets were left, and returns the answers and how many tickets
-- they take. An answer is final (a replay or a refusal) or a number: the sale of the batch's n-th popped ticket, or
-- {n}, a repeat of the purchase id sold as the n-th purchase of this batch.
local function judge(available)
    local answers, first, taken = {}, {}, 0
    local counts = {}
    for user, n in pairs(held) do counts[user] = n end
    for i = 1, count do
        local id, user = ARGV[3 + i], buyer(i)
        if recorded[i] then
            answers[i] = {recorded[i]}
        elseif first[id] then
            answers[i] = {first[id]}
        elseif limit > 0 and user and counts[user] >= limit then
            answers[i] = {-2, limit}
        elseif taken < available then
            taken = taken + 1
            answers[i] = taken
            first[id] = i
            if limit > 0 and user then counts[user] = counts[user] + 1 end
        else
            answers[i] = -1
        end
    end
    return answers, taken, counts
end

-- 3. The pop: as many tickets as the batch would take from an endless pool. When fewer come, the pool is empty
-- now, and judging again with what came is exactly what one purchase after another would have got: both judge
-- alike up to the last ticket.
local answers, wanted, counts = judge(math.huge)
if wanted > 0 then
    local tickets = redis.call('LPOP', KEYS[1], wanted) or {}
    if #tickets < wanted then
        answers, wanted, counts = judge(#tickets)
        local refusal = -1
        if #tickets == 0 and redis.call('EXISTS', KEYS[4]) == 0 then
            refusal = -3
        elseif escrowed() then
            refusal = -4
        end
        if refusal ~= -1 then
            for i = 1, count do
                if answers[i] == -1 then answers[i] = refusal end
            end
        end
    end

    -- 4. The ledger and the buyers' counts; sales and repeats get their answers.
    if wanted > 0 then
        local ledger, fields = {}, 0
        for i = 1, count do
            local number = answers[i]
            if type(number) == 'number' and number > 0 then
                local ticket = tickets[number]
                ledger[fields + 1] = ARGV[3 + i]
                ledger[fields + 2] = ticket .. ' ' .. (buyer(i) or '') .. ' ' .. millis
                fields = fields + 2
                answers[i] = ticket
            end
        end
        redis.call('HSET', KEYS[2], unpack(ledger))
        for i = 1, count do
            local answer = answers[i]
            if type(answer) == 'table' and type(answer[1]) == 'number' and answer[1] > 0 then
                local earlier = answer[1]
                answers[i] = {answers[earlier] .. ' ' .. (buyer(earlier) or '') .. ' ' .. millis}
            end
        end
    end
    local changed = {}
    for _, user in ipairs(buyers) do
        if counts[user] ~= held[user] then
            changed[#changed + 1] = user
            changed[#changed + 1] = counts[user]
        end
    end
    if #changed > 0 then
        redis.call('HSET', KEYS[3], unpack(changed))
    end
end
return answers
