-- Gives up a lock on a purchase id of a striped event (see PurchaseIDLock.swift), only if it is still the caller's:
-- a lock that lapsed and was taken by another request stays that request's.
--
-- KEYS[1] event:{ID}:selling:<purchase id>   string: the token of the request that holds the lock
-- ARGV[1] the caller's token
--
-- Returns 1 when the lock was the caller's and is gone, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
