-- One event's description and counts, read atomically so that available + sold is never torn.
--
-- KEYS[1] event:{ID}:meta, KEYS[2] event:{ID}:tickets, KEYS[3] event:{ID}:purchases, KEYS[4] event:{ID}:escrows
-- Returns {} when the event does not exist, else
-- {name, venue, startsAt, capacity, perUserLimit, stripes, available, sold} (absent fields as ''). Of a striped
-- event, this is one stripe: its share of the capacity and its own counts.
-- Available counts the pool and every instance's escrow: unsold tickets that some instance may sell. The escrow
-- keys are named from KEYS[4] (same hash tag, so the same slot on a cluster).
if redis.call('EXISTS', KEYS[1]) == 0 then
    return {}
end
local meta = redis.call('HMGET', KEYS[1], 'name', 'venue', 'startsAt', 'capacity', 'perUserLimit', 'stripes')
for index = 1, 6 do
    if not meta[index] then meta[index] = '' end
end
local available = redis.call('LLEN', KEYS[2])
local prefix = string.sub(KEYS[4], 1, -8) .. 'escrow:'
for _, instance in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    available = available + redis.call('LLEN', prefix .. instance)
end
meta[7] = available
meta[8] = redis.call('HLEN', KEYS[3])
return meta
