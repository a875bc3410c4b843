#!lua
-- Answers 1 and changes nothing: `/health`'s probe of whether Redis takes writes now, and the fallback's probe of
-- whether it answers them (sent with EVAL, every FALLBACK_PROBE_INTERVAL_MS).
--
-- Declared with a shebang and no `no-writes` flag, the script is one that may write, as purchase.lua is, so Redis
-- refuses it before it runs exactly when it would refuse a purchase: out of memory under `noeviction` (OOM), after
-- a failed snapshot (MISCONF), as a replica (READONLY), with too few replicas (NOREPLICAS); and Redis holds it
-- exactly when it would hold a purchase (CLIENT PAUSE WRITE, a FAILOVER's pause). PING passes all but MISCONF.
return 1
