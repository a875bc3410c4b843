-- One event's description and counts, read atomically so that available + sold is never torn.
--
-- KEYS[1] event:{ID}:meta, KEYS[2] event:{ID}:tickets, KEYS[3] event:{ID}:purchases
-- Returns {} when the event does not exist, else
-- {name, venue, startsAt, capacity, perUserLimit, available, sold} (absent fields as '').
if redis.call('EXISTS', KEYS[1]) == 0 then
    return {}
end
local meta = redis.call('HMGET', KEYS[1], 'name', 'venue', 'startsAt', 'capacity', 'perUserLimit')
for index = 1, 5 do
    if not meta[index] then meta[index] = '' end
end
meta[6] = redis.call('LLEN', KEYS[2])
meta[7] = redis.call('HLEN', KEYS[3])
return meta
