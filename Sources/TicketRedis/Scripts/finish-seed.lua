-- Publishes a freshly built pool as an event, unless the event exists already.
--
-- KEYS[1] event:{ID}:seeding:{seeder} (the pool this seeder built), KEYS[2] event:{ID}:tickets, KEYS[3] event:{ID}:meta,
-- KEYS[4] event:{ID}:purchases (the ledger), KEYS[5] event:{ID}:users, KEYS[6] event:{ID}:escrows
-- ARGV[1] name, ARGV[2] venue, ARGV[3] startsAt, ARGV[4] capacity, ARGV[5] perUserLimit, ARGV[6] stripes
-- Of a striped event, this publishes one stripe: its capacity is its share; stripe 0 is published last.
-- Returns 1 when published, 0 when the event existed (the new pool is dropped), -1 when it has books (a ledger, buyers'
-- counts or escrows) but no description: a new pool would sell again the tickets its ledger records as sold.
-- Pool and description appear together: no buyer ever sees a pool without its event, or half a pool.
if redis.call('EXISTS', KEYS[3]) == 1 then
    redis.call('DEL', KEYS[1])
    return 0
end
if redis.call('EXISTS', KEYS[4], KEYS[5], KEYS[6]) > 0 then
    redis.call('DEL', KEYS[1])
    return -1
end
if tonumber(ARGV[4]) > 0 then
    redis.call('RENAME', KEYS[1], KEYS[2])
    -- The pool being built expires in case its seeder dies; the published one must not.
    redis.call('PERSIST', KEYS[2])
else
    redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[3], 'name', ARGV[1], 'venue', ARGV[2], 'startsAt', ARGV[3], 'capacity', ARGV[4],
    'perUserLimit', ARGV[5])
if tonumber(ARGV[6]) > 1 then redis.call('HSET', KEYS[3], 'stripes', ARGV[6]) end
return 1
