#!/usr/bin/env bash
# Measures what one purchase costs Redis, with ticketd's own purchase.lua: CPU per purchase (INFO commandstats
# usec_per_call of EVALSHA over the purchases per call) and memory per sold ticket (used_memory growth of the
# ledger and per-user counts, net of the pool entry the sale removes), for batches of 1, 16 and 64 purchases.
# redis-benchmark drives it, so no ticketd CPU is in the figures.
#
# Run from the repository root: bash bench/purchase-script/run.sh. Knobs: SALES (200000), TICKETS (SALES).
# A benchmark, not a test: it prints figures and exits 0.
set -euo pipefail

SALES=${SALES:-200000}
TICKETS=${TICKETS:-$SALES}
SCRIPT=Sources/TicketRedis/Scripts/purchase.lua
[ -f "$SCRIPT" ] || { echo "run from the repository root" >&2; exit 64; }

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
cli() { redis-cli -p "$port" "$@"; }
for _ in $(seq 1 100); do cli ping >/dev/null 2>&1 && break; sleep 0.05; done

sha=$(cli -x script load < "$SCRIPT")
fill='for first = 1, tonumber(ARGV[1]), 1000 do local ids = {} for id = first, math.min(first + 999, tonumber(ARGV[1])) do ids[#ids + 1] = id end redis.call("RPUSH", KEYS[1], unpack(ids)) end return redis.call("LLEN", KEYS[1])'

# One run: seed event $1 with $TICKETS tickets and per-user limit $2, sell $SALES in batches of $4, every purchase
# anonymous (user argument $3 empty) or with a new user id each.
run() {
    local event=$1 limit=$2 user=$3 batch=$4
    local tickets="event:{$event}:tickets" purchases="event:{$event}:purchases" users="event:{$event}:users" meta="event:{$event}:meta" escrows="event:{$event}:escrows"
    cli eval "$fill" 1 "$tickets" "$TICKETS" >/dev/null
    cli hset "$meta" name "Bench" capacity "$TICKETS" perUserLimit "$limit" >/dev/null
    cli config resetstat >/dev/null
    local before pool_before
    before=$(cli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
    pool_before=$(cli memory usage "$tickets" samples 0)
    # __rand_int__ with -r 10^11 gives every purchase its own 26-character id, like ticketd's.
    local arguments=(1790000000000 "$batch") ids=() buyers=() i
    for i in $(seq "$batch"); do
        ids+=("$(printf 'p%02d' "$i")-__rand_int__-padding-")
        [ -n "$user" ] && buyers+=("$(printf 'u%02d' "$i")-__rand_int__")
    done
    if [ -n "$user" ]; then arguments+=(0); else arguments+=("$batch"); fi
    redis-benchmark -p "$port" -c 50 -n $((SALES / batch)) -P 16 -r 100000000000 -q \
        evalsha "$sha" 5 "$tickets" "$purchases" "$users" "$meta" "$escrows" "${arguments[@]}" "${ids[@]}" "${buyers[@]}" >/dev/null
    local after pool_after sold usec
    after=$(cli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
    pool_after=$(cli memory usage "$tickets" samples 0 2>/dev/null || echo 0)
    [ -n "$pool_after" ] || pool_after=0
    sold=$(cli hlen "$purchases")
    usec=$(cli info commandstats | sed -n 's/^cmdstat_evalsha:.*usec_per_call=\([0-9.]*\).*/\1/p')
    python3 - "$sold" "$before" "$after" "$pool_before" "$pool_after" "$usec" "$event" "$batch" <<'PY'
import sys
sold, before, after, pool_before, pool_after, usec, event, batch = sys.argv[1:]
sold, before, after, pool_before, pool_after = map(int, (sold, before, after, pool_before, pool_after))
if sold == 0:
    sys.exit(f"{event}: nothing sold: purchase.lua refused every call (see redis-benchmark's error above)")
pool_per_ticket = (pool_before - pool_after) / max(sold, 1)
net = (after - before) / max(sold, 1)
print(f"{event:<12} batch {batch:>2}  sold {sold:>7}   Redis CPU {float(usec) / int(batch):5.2f} µs/purchase   "
      f"memory {net + pool_per_ticket:6.1f} B per sold ticket beyond its pool entry ({pool_per_ticket:.1f} B)")
PY
}

echo "purchase.lua, $SALES sales of $TICKETS tickets, redis-benchmark -c 50 -P 16 (Redis $(cli info server | sed -n 's/^redis_version:\(.*\)\r/\1/p'))"
for batch in 1 16 64; do
    run "anonymous-$batch" 0 "" "$batch"
    # Every sale with a user id that is new (one ticket per buyer: the worst case for the per-user hash).
    run "distinct-$batch" 10 yes "$batch"
done
