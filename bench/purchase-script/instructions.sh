#!/usr/bin/env bash
# Counts the machine instructions Redis spends per purchase in ticketd's purchase.lua, under callgrind: unlike
# usec_per_call, the count does not grow when other processes share the cores, so figures from a busy machine
# compare with figures from a quiet one. Counted: everything inside EVALSHA (script setup, Lua, the Redis calls,
# the reply), for anonymous batches of 1, 16, 64 and 256 purchases.
#
# Run from the repository root: bash bench/purchase-script/instructions.sh. Needs valgrind. Knob: SALES (4000).
# A benchmark, not a test: it prints figures and exits 0. To turn instructions into time, divide by the
# instructions per microsecond of the same machine: run bench/purchase-script/run.sh on a quiet machine and
# compare its batch-1 figure with this script's.
set -euo pipefail

SALES=${SALES:-4000}
SCRIPT=Sources/TicketRedis/Scripts/purchase.lua
[ -f "$SCRIPT" ] || { echo "run from the repository root" >&2; exit 64; }
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 69; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cli() { redis-cli -p "$port" "$@"; }
keys=("event:{1}:tickets" "event:{1}:purchases" "event:{1}:users" "event:{1}:meta" "event:{1}:escrows")

echo "purchase.lua under callgrind, anonymous purchases, $SALES per batch size (Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'))"
for batch in 1 16 64 256; do
    dir=$(mktemp -d)
    valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" --toggle-collect=evalGenericCommand \
        redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --logfile "$dir/redis.log" \
        >/dev/null 2>&1 &
    valgrind_pid=$!
    for _ in $(seq 1 200); do cli ping >/dev/null 2>&1 && break; sleep 0.1; done
    sha=$(cli -x script load < "$SCRIPT")
    calls=$(( (SALES + batch - 1) / batch ))
    cli eval 'for first = 1, tonumber(ARGV[1]), 1000 do local ids = {} for id = first, math.min(first + 999, tonumber(ARGV[1])) do ids[#ids + 1] = id end redis.call("RPUSH", KEYS[1], unpack(ids)) end' \
        1 "${keys[0]}" $(( calls * batch * 2 )) >/dev/null
    cli hset "${keys[3]}" name Bench capacity $(( calls * batch * 2 )) perUserLimit 0 >/dev/null
    # A ledger past Redis's small-hash encoding, as any event's is after its first 512 sales.
    cli eval 'for i = 1, 2000 do redis.call("HSET", KEYS[1], "earlier-" .. i, "0  1") end' 1 "${keys[1]}" >/dev/null
    callgrind_control -z "$valgrind_pid" >/dev/null 2>&1
    arguments=(1790000000000 "$batch" "$batch")
    for i in $(seq "$batch"); do arguments+=("$(printf 'p%03d' "$i")-__rand_int__-padding-x"); done
    redis-benchmark -p "$port" -c 20 -n "$calls" -P 16 -r 100000000000 -q evalsha "$sha" 5 "${keys[@]}" "${arguments[@]}" >/dev/null
    sold=$(( $(cli hlen "${keys[1]}") - 2000 ))
    cli shutdown nosave >/dev/null 2>&1 || true
    wait "$valgrind_pid" || true
    instructions=$(callgrind_annotate "$dir/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
    printf "batch %3d   %6d sold   %8d instructions per purchase\n" "$batch" "$sold" $(( instructions / sold ))
    rm -rf "$dir"
done
