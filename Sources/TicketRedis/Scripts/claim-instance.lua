-- Claims an instance id for one fallback directory, or gives the claim up: two instances under one INSTANCE_ID
-- would share one escrow list in Redis, each with its own copy, and could sell one ticket twice.
--
-- KEYS[1] fallback:claims  hash: instance id -> "token millis", the directory that holds the id and when it last
--                          renewed the claim (Redis's clock)
-- ARGV[1] the instance id, ARGV[2] the directory's token (chosen once and kept in the directory)
-- ARGV[3] "claim": claim or renew unless another directory renewed its claim less than ARGV[4] ms ago
--         "release": give the claim up, if it is this directory's
--
-- Returns -1 when the claim is made, renewed or given up, else the age in milliseconds of the other directory's
-- claim, which stands.
local now = redis.call('TIME')
local millis = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local current = redis.call('HGET', KEYS[1], ARGV[1])
local token, at
if current then token, at = string.match(current, '^(%S+) (%d+)$') end
if ARGV[3] == 'release' then
    if token == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
    return -1
end
if token and token ~= ARGV[2] and millis - tonumber(at) < tonumber(ARGV[4]) then
    return millis - tonumber(at)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. millis)
return -1
