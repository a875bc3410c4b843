#!lua
-- Answers 1 and changes nothing: `/health`'s probe of whether Redis takes writes now.
--
-- Declared with a shebang and no `no-writes` flag, the script is one that may write, as purchase.lua is, so Redis
-- refuses it before it runs exactly when it would refuse a purchase: out of memory under `noeviction` (OOM), after
-- a failed snapshot (MISCONF), as a replica (READONLY), with too few replicas (NOREPLICAS). PING passes all but
-- MISCONF.
return 1
