-- Claims an instance id for one fallback directory, or gives the claim up: two directories under one INSTANCE_ID
-- would share one escrow list in Redis, each with its own copy, and could sell one ticket twice.
--
-- A claim stands until its directory gives it up (a graceful stop) or an escrow release forgets it, unless it is
-- idle: a directory that may hold escrow, or sales only its journal knows, never loses its id to another one, but
-- one that never took escrow (a server that failed to start) does once its claim is older than ARGV[5].
--
-- KEYS[1] fallback:claims  hash: instance id -> "token millis state": the directory that holds the id, when it last
--                          renewed the claim (Redis's clock), and "holding" or "idle"
-- ARGV[1] the instance id, ARGV[2] the directory's token (chosen once and kept in the directory)
-- ARGV[3] "claim": claim the id, or renew this directory's claim, unless another directory holds it;
--         "release": give the claim up, if it is this directory's
-- ARGV[4] "holding" or "idle": whether this directory may hold escrow or unsettled sales
-- ARGV[5] how old, in milliseconds, another directory's idle claim must be to be taken over
--
-- Returns -1 when the claim is made, renewed or given up, else how many milliseconds ago the other directory last
-- renewed its claim, which stands.
local now = redis.call('TIME')
local millis = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local current = redis.call('HGET', KEYS[1], ARGV[1])
local token, at, state
if current then token, at, state = string.match(current, '^(%S+) (%d+) ?(%a*)$') end
if ARGV[3] == 'release' then
    if token == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
    return -1
end
if token and token ~= ARGV[2] then
    local age = math.max(0, millis - tonumber(at))
    if state ~= 'idle' or age < tonumber(ARGV[5]) then return age end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. millis .. ' ' .. ARGV[4])
return -1
