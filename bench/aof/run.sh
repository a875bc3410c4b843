#!/usr/bin/env bash
# What AOF durability costs a purchase: purchase.lua driven by redis-benchmark against a private Redis with the
# AOF off, with `appendfsync everysec` and with `appendfsync always` (what `make run`, the tests and the fallback
# rely on: an acknowledged sale survives a Redis crash). Prints purchases/s and p50/p99 latency for each, at
# CLIENTS concurrent callers with one purchase per call (no pipelining, as ticketd's batches reach Redis), so
# `always` pays one fsync per event-loop turn of Redis, shared by every purchase written in that turn.
#
# Run from the repository root: bash bench/aof/run.sh. Knobs: SALES (20000; one client with `always` manages about 150 a second), CLIENTS ("1 50 500").
# A benchmark, not a test: it prints figures and exits 0.
set -euo pipefail

SALES=${SALES:-20000}
CLIENTS=${CLIENTS:-"1 50 500"}
SCRIPT=Sources/TicketRedis/Scripts/purchase.lua
[ -f "$SCRIPT" ] || { echo "run from the repository root" >&2; exit 64; }
source bench/private-redis.sh
cli() { redis-cli -p "$redis_port" "$@"; }

sha=$(cli -x script load < "$SCRIPT")
fill='for first = 1, tonumber(ARGV[1]), 1000 do local ids = {} for id = first, math.min(first + 999, tonumber(ARGV[1])) do ids[#ids + 1] = id end redis.call("RPUSH", KEYS[1], unpack(ids)) end return redis.call("LLEN", KEYS[1])'

echo "purchase.lua, $SALES anonymous purchases per run, one per call (Redis $(cli info server | sed -n 's/^redis_version:\(.*\)\r/\1/p'), dir $dir)"
for mode in off everysec always; do
    if [ "$mode" = off ]; then
        cli config set appendonly no >/dev/null
    else
        cli config set appendonly yes >/dev/null
        cli config set appendfsync "$mode" >/dev/null
        # Wait for the rewrite that turning the AOF on starts, so it does not run during the measurement.
        while [ "$(cli info persistence | sed -n 's/^aof_rewrite_in_progress:\([0-9]\).*/\1/p')" != 0 ]; do sleep 0.1; done
    fi
    for clients in $CLIENTS; do
        event="$mode-$clients"
        tickets="event:{$event}:tickets" purchases="event:{$event}:purchases" users="event:{$event}:users" meta="event:{$event}:meta" escrows="event:{$event}:escrows"
        cli eval "$fill" 1 "$tickets" "$SALES" >/dev/null
        cli hset "$meta" name "Bench" capacity "$SALES" perUserLimit 0 >/dev/null
        result=$(redis-benchmark -p "$redis_port" -c "$clients" -n "$SALES" -r 100000000000 --csv \
            evalsha "$sha" 5 "$tickets" "$purchases" "$users" "$meta" "$escrows" 1790000000000 1 1 "p-__rand_int__-padding-padding" | tail -1)
        # CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        python3 - "$mode" "$clients" "$result" "$(cli hlen "$purchases")" <<'PY'
import csv, sys
mode, clients, line, sold = sys.argv[1:]
if int(sold) == 0:
    sys.exit(f"appendfsync {mode}, {clients} clients: nothing sold: purchase.lua refused every call")
row = next(csv.reader([line]))
rps, p50, p99 = float(row[1]), float(row[4]), float(row[6])
print(f"appendfsync {mode:<8}  {clients:>3} clients   {rps:9.0f} purchases/s   p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   sold {sold}")
PY
    done
done
