#!/usr/bin/env bash
# Benchmarks our Redis client (RESPClient) against redis-benchmark on one private Redis, at the same concurrency,
# with two Lua scripts run by EVALSHA:
#   trivial   `return 1`: Redis does almost nothing, so this measures the client;
#   purchase  LPOP a ticket from a pool, HSET ticket -> purchase id, return the ticket: this measures Redis.
# Goals, with at most 2 connections: ours >= 0.5x redis-benchmark -P 16 on trivial, >= 0.9x on purchase.
#
# Run from the repository root (`make bench-redis-client`). Knobs, as environment variables:
#   CALLS (300000), CONCURRENCY (500), SCRIPTS ("trivial purchase"), CONNECTIONS ("2 1"),
#   SCRATCH (.build-bench), SKIP_BUILD (0), EXTRA_ARGS (more flags for RedisClientBench),
#   BENCH (path of a RedisClientBench binary to use instead of building one, e.g. to compare a patched client).
# It is a benchmark, not a test: it prints figures and exits 0 whatever they are.
set -euo pipefail

CALLS=${CALLS:-300000}
CONCURRENCY=${CONCURRENCY:-500}
SCRIPTS=${SCRIPTS:-"trivial purchase"}
CONNECTIONS=${CONNECTIONS:-"2 1"}
SCRATCH=${SCRATCH:-.build-bench}
SKIP_BUILD=${SKIP_BUILD:-0}
EXTRA_ARGS=${EXTRA_ARGS:-}

POOL_KEY='event:{bench}:tickets'
SOLD_KEY='event:{bench}:sold'
TRIVIAL_SCRIPT='return 1'
# Keep this byte for byte equal to BenchScript.purchaseSource in Sources/main.swift: both load it by its SHA-1.
PURCHASE_SCRIPT="local ticket = redis.call('LPOP', KEYS[1])
if not ticket then return 0 end
redis.call('HSET', KEYS[2], ticket, ARGV[1])
return ticket"
# Empties both keys and pushes tickets 1..ARGV[1], 1000 per RPUSH.
SEED_SCRIPT="redis.call('DEL', KEYS[1], KEYS[2])
local n = tonumber(ARGV[1])
for first = 1, n, 1000 do
  local ids = {}
  for id = first, math.min(first + 999, n) do ids[#ids + 1] = id end
  redis.call('RPUSH', KEYS[1], unpack(ids))
end
return redis.call('LLEN', KEYS[1])"

[ -f Package.swift ] && [ -d bench/redis-client ] || { echo "run me from the repository root" >&2; exit 1; }
for tool in redis-server redis-cli redis-benchmark swift; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed (make deps)" >&2; exit 1; }
done

# --- build ---------------------------------------------------------------------------------------------------
if [ -n "${BENCH:-}" ]; then
    SKIP_BUILD=1
fi
if [ "$SKIP_BUILD" != 1 ]; then
    echo "building RedisClientBench (release, scratch path $SCRATCH)..."
    build_start=$SECONDS
    TICKETD_BENCH=1 swift build -c release --scratch-path "$SCRATCH" --product RedisClientBench 2>&1 | tail -n 3
    echo "built in $((SECONDS - build_start)) s"
fi
BENCH=${BENCH:-"$(TICKETD_BENCH=1 swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/RedisClientBench"}
[ -x "$BENCH" ] || { echo "no binary at $BENCH" >&2; exit 1; }

# --- a private Redis on a free port --------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/redis-bench.XXXXXX")
PORT=""
cleanup() {
    if [ -n "$PORT" ]; then redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; fi
    if [ -f "$WORK/redis.pid" ]; then
        pid=$(cat "$WORK/redis.pid")
        kill "$pid" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 20); do
    candidate=$((20000 + RANDOM % 40000))
    port_is_free "$candidate" || continue
    if redis-server --port "$candidate" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
        --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" --maxclients 10000; then
        for _ in $(seq 1 100); do
            redis-cli -p "$candidate" ping >/dev/null 2>&1 && { PORT=$candidate; break; }
            sleep 0.05
        done
    fi
    [ -n "$PORT" ] && break
    [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true
done
[ -n "$PORT" ] || { echo "could not start redis-server on a free port; see $WORK/redis.log" >&2; exit 1; }
rcli() { redis-cli -p "$PORT" "$@"; }

echo "redis $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/') on port $PORT; $CALLS calls, $CONCURRENCY concurrent callers;" \
    "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- helpers -------------------------------------------------------------------------------------------------
seed_pool() {
    local length
    length=$(rcli EVAL "$SEED_SCRIPT" 2 "$POOL_KEY" "$SOLD_KEY" "$1")
    [ "$length" = "$1" ] || { echo "seeding failed: LLEN $length, wanted $1" >&2; exit 1; }
}

server_cpu() { rcli INFO cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/ { total += $2 } END { printf "%.6f", total }'; }

evalsha_usec_per_call() {
    rcli INFO commandstats | tr -d '\r' | sed -nE 's/^cmdstat_evalsha:.*usec_per_call=([0-9.]+).*/\1/p'
}

# Runs redis-benchmark; sets RB_RPS, RB_CPU (its own CPU µs per call), RB_SERVER_CPU, RB_USEC.
run_redis_benchmark() {
    local pipeline=$1
    shift
    local before after times
    rcli CONFIG RESETSTAT >/dev/null
    before=$(server_cpu)
    TIMEFORMAT='%3U %3S'
    { time redis-benchmark -p "$PORT" -c "$CONCURRENCY" -n "$CALLS" -P "$pipeline" -q "$@" >"$WORK/rb.out" 2>&1; } 2>"$WORK/rb.time"
    after=$(server_cpu)
    RB_RPS=$(tr '\r' '\n' <"$WORK/rb.out" | sed -nE 's/.*: ([0-9.]+) requests per second.*/\1/p' | tail -n 1)
    [ -n "$RB_RPS" ] || { echo "redis-benchmark printed no figure:" >&2; cat "$WORK/rb.out" >&2; exit 1; }
    RB_RPS=${RB_RPS%.*}
    times=$(tail -n 1 "$WORK/rb.time")
    RB_CPU=$(awk -v t="$times" -v n="$CALLS" 'BEGIN { split(t, a, " "); printf "%.2f", (a[1] + a[2]) * 1e6 / n }')
    RB_SERVER_CPU=$(awk -v b="$before" -v a="$after" -v n="$CALLS" 'BEGIN { printf "%.2f", (a - b) * 1e6 / n }')
    RB_USEC=$(evalsha_usec_per_call)
}

field() { sed -nE "s/.* $1=([^ ]+).*/\1/p" <<<" $2"; }

ROWS=()
SUMMARY=()
row() { ROWS+=("$(printf '%-9s %-26s %9s %11s %12s %14s %12s %10s' "$@")"); }

# --- runs ----------------------------------------------------------------------------------------------------
for script in $SCRIPTS; do
    case $script in
    trivial) source=$TRIVIAL_SCRIPT ;;
    purchase) source=$PURCHASE_SCRIPT ;;
    *) echo "unknown script $script" >&2; exit 1 ;;
    esac
    sha=$(rcli SCRIPT LOAD "$source")
    if [ "$script" = purchase ]; then
        # A 12-digit purchase id per call, like the bench's own (100000000000 + call number).
        command=(-r 100000000000 EVALSHA "$sha" 2 "$POOL_KEY" "$SOLD_KEY" __rand_int__)
    else
        command=(EVALSHA "$sha" 0)
    fi

    declare -A rps=()
    for pipeline in 16 1; do
        [ "$script" = purchase ] && seed_pool "$CALLS"
        echo "[$script] redis-benchmark -c $CONCURRENCY -n $CALLS -P $pipeline ..."
        run_redis_benchmark "$pipeline" "${command[@]}"
        if [ "$script" = purchase ]; then
            left=$(rcli LLEN "$POOL_KEY")
            [ "$left" = 0 ] || echo "  warning: $left tickets left in the pool after $CALLS purchases" >&2
        fi
        rps[$pipeline]=$RB_RPS
        row "$script" "redis-benchmark -P $pipeline" "$RB_RPS" "$(awk -v a="$RB_RPS" -v b="${rps[16]}" 'BEGIN { printf "%.2f", a / b }')" \
            "$RB_CPU" "$RB_USEC" "$RB_SERVER_CPU" "-"
    done

    for connections in $CONNECTIONS; do
        echo "[$script] RedisClientBench --connections $connections ..."
        # shellcheck disable=SC2086 # EXTRA_ARGS is a list of flags
        "$BENCH" --url "redis://127.0.0.1:$PORT" --script "$script" --calls "$CALLS" --concurrency "$CONCURRENCY" \
            --connections "$connections" --server-stats $EXTRA_ARGS | tee "$WORK/ours.out" | sed 's/^/  /'
        result=$(grep '^RESULT ' "$WORK/ours.out" | tail -n 1)
        ours=$(field rps "$result")
        ours=${ours%.*}
        ratio=$(awk -v a="$ours" -v b="${rps[16]}" 'BEGIN { printf "%.2f", a / b }')
        row "$script" "ours, $connections connection(s)" "$ours" "$ratio" "$(field cpu_us_per_call "$result")" \
            "$(field evalsha_usec_per_call "$result")" "$(field redis_cpu_us_per_call "$result")" "$(field errors "$result")"
        if [ "$connections" -le 2 ]; then
            goal=$([ "$script" = trivial ] && echo 0.5 || echo 0.9)
            verdict=$(awk -v r="$ratio" -v g="$goal" 'BEGIN { print (r >= g) ? "meets" : "MISSES" }')
            SUMMARY+=("$script, $connections connection(s): ours/-P16 = $ratio (goal >= $goal: $verdict); ours/-P1 = $(awk -v a="$ours" -v b="${rps[1]}" 'BEGIN { printf "%.2f", a / b }')")
        fi
    done
    unset rps
done

echo
echo "Results ($CALLS calls, $CONCURRENCY concurrent callers; rps = calls per second; CPU in µs per call)"
printf '%-9s %-26s %9s %11s %12s %14s %12s %10s\n' script client rps "x -P16" "client CPU" "evalsha usec" "redis CPU" errors
for line in "${ROWS[@]}"; do echo "$line"; done
echo
for line in "${SUMMARY[@]}"; do echo "$line"; done
