#!/usr/bin/env bash
# wrk against ticketd at many connections: POST /buy/1 on a pool that does not sell out, then the no-op route
# GET /livez of the same server, in one run. Prints purchases/s, the ratio to the no-op route, latency, wrk's
# timeouts and socket errors, the server's peak RSS (and a fresh server's after the no-op route alone), and the same
# purchase run with per-purchase logging on, in purchases/s and in the server's CPU per purchase (which a machine
# shared with wrk and Redis disturbs much less).
#
# Run from the repository root: bash bench/purchase/run.sh (make bench-purchase). Knobs: CONNECTIONS (5000),
# DURATION (15s), THREADS (2), TICKETS (3000000). A benchmark, not a test: it prints figures and exits 0.
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-5000}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
TICKETS=${TICKETS:-3000000}
[ -f Package.swift ] || { echo "run from the repository root" >&2; exit 64; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk (make deps-bench)" >&2; exit 69; }

ulimit -n "$(ulimit -Hn)"
swift build -c release --product ticketd >/dev/null
bin="$(swift build -c release --show-bin-path)/ticketd"

source "$(dirname "$0")/../private-redis.sh"
export REDIS_URL="redis://127.0.0.1:$redis_port" LOG_FILE=""

cat > "$dir/post.lua" <<'LUA'
wrk.method = "POST"
LUA

# Starts the server with LOG_LEVEL=$1 and HTTP_BACKLOG=${2:-4096} on a fresh pool; sets $server and $port.
start_server() {
    LOG_LEVEL=warning "$bin" seed 1 "$TICKETS" --reset --per-user-limit 0 >/dev/null
    port=$(free_port)
    PORT=$port HOST=127.0.0.1 LOG_LEVEL=$1 HTTP_BACKLOG=${2:-4096} "$bin" serve > "$dir/server-$1.log" 2>&1 &
    server=$!
    for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/livez" >/dev/null && return; sleep 0.05; done
    echo "server did not start:"; tail "$dir/server-$1.log"; exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

# Runs wrk; prints "rps p50 p99 timeouts errors non2xx" from its report.
measure() {
    local out="$dir/wrk.out"
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency --timeout 10s "$@" > "$out" 2>&1 || true
    python3 "$(dirname "$0")/../wrk-summary.py" "$out"
}

# Redis's CPU seconds (user + system, all threads) so far: unlike usec_per_call, time the server spent preempted
# does not count, and reading requests and writing replies does.
redis_cpu_seconds() {
    redis-cli -p "$redis_port" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/ {total += $2} END {printf "%.3f", total}'
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$server/status"; }

# The server's user plus system CPU time so far, in clock ticks: CPU per purchase follows the work a purchase costs,
# where purchases/s also follows whatever CPU share the server got from a machine it shares with wrk and Redis.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
seconds=$(python3 -c "import sys; d = sys.argv[1]; print({'s': 1, 'm': 60, 'h': 3600}.get(d[-1], 1) * float(d.rstrip('smh')))" "$DURATION")
# Microseconds of server CPU per request: $1 ticks over $2 req/s for the run's duration.
us_per_request() {
    python3 -c "import sys, os; t, rps, s = map(float, sys.argv[1:4]); print(f'{t * 1e6 / os.sysconf(\"SC_CLK_TCK\") / max(rps * s, 1):.1f}')" \
        "$1" "$2" "$seconds"
}
# Runs a purchase measurement; prints its req/s and the server's CPU microseconds per request.
measure_purchases() {
    local before rps
    before=$(cpu_ticks)
    read -r rps _ < <(measure -s "$dir/post.lua" "http://127.0.0.1:$port/buy/1")
    echo "$rps $(us_per_request "$(( $(cpu_ticks) - before ))" "$rps")"
}

start_server warning
redis-cli -p "$redis_port" config resetstat >/dev/null
redis_cpu_before=$(redis_cpu_seconds)
buy_ticks_before=$(cpu_ticks)
read -r buy_rps buy_p50 buy_p99 buy_timeouts buy_errors buy_non2xx < <(measure -s "$dir/post.lua" "http://127.0.0.1:$port/buy/1")
buy_us_1=$(us_per_request "$(( $(cpu_ticks) - buy_ticks_before ))" "$buy_rps")
redis_cpu_after=$(redis_cpu_seconds)
read -r noop_rps noop_p50 noop_p99 noop_timeouts noop_errors noop_non2xx < <(measure "http://127.0.0.1:$port/livez")
rss=$(peak_rss_mb)
sold=$(curl -s "http://127.0.0.1:$port/events/1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sold"])')
read -r script_calls script_usec < <(redis-cli -p "$redis_port" info commandstats |
    sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),usec=\([0-9]*\),.*/\1 \2/p')
stop_server

# Logging on, twice, then logging off again: the runs go A B B A so that a machine whose load drifts during the
# benchmark biases neither side.
start_server info
read -r log_rps_1 log_us_1 < <(measure_purchases)
stop_server
start_server info
read -r log_rps_2 log_us_2 < <(measure_purchases)
stop_server
start_server warning
read -r noop_rps_2 _ _ _ _ _ < <(measure "http://127.0.0.1:$port/livez")
noop_rss=$(peak_rss_mb)
read -r buy_rps_2 buy_us_2 < <(measure_purchases)
stop_server
mean() { python3 -c "import sys; print(f'{(float(sys.argv[1]) + float(sys.argv[2])) / 2:.0f}')" "$1" "$2"; }
log_rps=$(mean "$log_rps_1" "$log_rps_2")
buy_mean=$(mean "$buy_rps" "$buy_rps_2")
noop_mean=$(mean "$noop_rps" "$noop_rps_2")

# Hummingbird's default backlog, to see what the larger one buys.
start_server warning 256
read -r small_rps _ _ small_timeouts small_errors _ < <(measure -s "$dir/post.lua" "http://127.0.0.1:$port/buy/1")
stop_server

echo "wrk -t $THREADS -c $CONNECTIONS -d $DURATION against ticketd (release), Redis on loopback, 2 cores shared by all three"
printf "%-28s %10s %9s %9s %9s %8s %9s\n" route "req/s" "p50 ms" "p99 ms" timeouts errors non-2xx
printf "%-28s %10s %9s %9s %9s %8s %9s\n" "POST /buy/1" "$buy_rps" "$buy_p50" "$buy_p99" "$buy_timeouts" "$buy_errors" "$buy_non2xx"
printf "%-28s %10s %9s %9s %9s %8s %9s\n" "GET /livez (no-op)" "$noop_rps" "$noop_p50" "$noop_p99" "$noop_timeouts" "$noop_errors" "$noop_non2xx"
printf "%-28s %10s\n" "POST /buy/1, second run" "$buy_rps_2"
printf "%-28s %10s\n" "GET /livez, second run" "$noop_rps_2"
printf "%-28s %10s (%s, %s)\n" "POST /buy/1, LOG_LEVEL=info" "$log_rps" "$log_rps_1" "$log_rps_2"
printf "%-28s %10s (logging off: %s, %s; on: %s, %s)\n" "server CPU µs per purchase" "" "$buy_us_1" "$buy_us_2" "$log_us_1" "$log_us_2"
printf "%-28s %10s %9s %9s %9s %8s\n" "POST /buy/1, backlog 256" "$small_rps" "" "" "$small_timeouts" "$small_errors"
python3 - "$buy_mean" "$noop_mean" "$log_rps" "$rss" "$noop_rss" "$sold" "${script_calls:-0}" "${script_usec:-0}" "$redis_cpu_before" "$redis_cpu_after" \
    "$buy_us_1" "$buy_us_2" "$log_us_1" "$log_us_2" <<'PY'
import sys
buy, noop, logged, rss, noop_rss, sold, calls, usec, cpu_before, cpu_after, off_1, off_2, on_1, on_2 = map(float, sys.argv[1:])
print(f"purchases/s over no-op, means of two runs each: {buy / noop:.2f} (goal >= 0.8)")
print(f"purchases/s with a log line per purchase over without, means of two runs each: {logged / buy:.3f} (goal >= 0.95)")
print(f"server CPU per purchase, without a log line over with, means of two runs each: {(off_1 + off_2) / (on_1 + on_2):.3f}")
print(f"peak RSS {rss:.1f} MB (goal <= 100); tickets sold in the purchase run: {sold:.0f}")
print(f"peak RSS of a fresh server after the no-op route alone: {noop_rss:.1f} MB (the HTTP server's own cost per connection)")
print(f"Redis CPU per purchase: {usec / max(sold, 1):.2f} µs in the script (usec_per_call, goal <= 5), {sold / max(calls, 1):.1f} purchases per script call")
print(f"Redis CPU per purchase, all of it (INFO cpu, protocol included): {(cpu_after - cpu_before) * 1e6 / max(sold, 1):.2f} µs")
PY
