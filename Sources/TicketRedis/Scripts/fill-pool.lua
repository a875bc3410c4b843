-- Appends ticket ids ARGV[1], ARGV[1] + ARGV[3], ... up to ARGV[2] (inclusive) to the list KEYS[1], built on the
-- server so that a million tickets cost the network a few hundred small calls instead of a million arguments.
-- The step ARGV[3] is the stripe count of a striped event (each stripe holds every K-th ticket), else 1.
-- Returns the list's new length.
local first, last, step = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local batch = {}
local length = 0
for ticket = first, last, step do
    batch[#batch + 1] = ticket
    if #batch == 1000 then
        length = redis.call('RPUSH', KEYS[1], unpack(batch))
        batch = {}
    end
end
if #batch > 0 then
    length = redis.call('RPUSH', KEYS[1], unpack(batch))
end
return length
