-- Claims an instance id for one fallback directory and one process, or gives the claim up: two directories under
-- one INSTANCE_ID, or two processes on copies of one directory, would share one escrow list in Redis, each with
-- its own copy, and could sell one ticket twice.
--
-- A claim stands until its directory gives it up (a graceful stop) or an escrow release forgets it, unless it is
-- idle: a directory that may hold escrow, or sales only its journal knows, never loses its id to another one, but
-- one that never took escrow (a server that failed to start) does once its claim is older than ARGV[5]. Within one
-- directory, another process takes the claim over once it has gone unrenewed for ARGV[7]: a process restarted on
-- its directory after a crash waits that long; a copy of the directory run beside it never gets it.
--
-- KEYS[1] fallback:claims  hash: instance id -> "token millis state process": the directory that holds the id,
--                          when it last renewed the claim (Redis's clock), "holding" or "idle", and the process
-- ARGV[1] the instance id, ARGV[2] the directory's token (chosen once and kept in the directory)
-- ARGV[3] "claim": claim the id, or renew the claim, unless another directory or process holds it;
--         "release": give the claim up, if this directory's process holds it
-- ARGV[4] "holding" or "idle": whether this directory may hold escrow or unsettled sales
-- ARGV[5] how old, in milliseconds, another directory's idle claim must be to be taken over
-- ARGV[6] this process's id, chosen at its start
-- ARGV[7] how old, in milliseconds, another process's claim on this directory must be to be taken over
--
-- Returns {0} when the claim is made, renewed or given up; {1, age} when another directory holds the id and
-- renewed its claim age milliseconds ago; {2, age} when another process on this directory (or on a copy of it)
-- does.
local now = redis.call('TIME')
local millis = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local current = redis.call('HGET', KEYS[1], ARGV[1])
local token, at, state, process
if current then token, at, state, process = string.match(current, '^(%S+) (%d+) (%a+) (%S+)$') end
if ARGV[3] == 'release' then
    if token == ARGV[2] and process == ARGV[6] then redis.call('HDEL', KEYS[1], ARGV[1]) end
    return {0}
end
if token then
    local age = math.max(0, millis - tonumber(at))
    if token ~= ARGV[2] then
        if state ~= 'idle' or age < tonumber(ARGV[5]) then return {1, age} end
    elseif process ~= ARGV[6] and age < tonumber(ARGV[7]) then
        return {2, age}
    end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. millis .. ' ' .. ARGV[4] .. ' ' .. ARGV[6])
return {0}
