#!/usr/bin/env bash
# ticket-load against wrk: the same ticketd (release), the same Redis, the same pool, 5000 connections, POST /buy/1
# with no body. Runs them in turns (wrk, ticket-load, wrk, ticket-load) so that neither gets the warmer server,
# and prints purchases/s, p50 and p99 of each, and ticket-load's share of wrk's purchases/s (goal: at least 0.85,
# so that the tester is not the bottleneck). Both clients, the server and Redis share the machine's cores.
#
# Run from the repository root: bash bench/load-vs-wrk/run.sh (make bench-load-vs-wrk). Knobs: CONNECTIONS (5000),
# DURATION (10, seconds), ROUNDS (2), THREADS (2, for both clients), TICKETS (1000000). A benchmark, not a test.
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-5000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
TICKETS=${TICKETS:-1000000}
[ -f Package.swift ] || { echo "run from the repository root" >&2; exit 64; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk (make deps)" >&2; exit 69; }

ulimit -n "$(ulimit -Hn)"
# SWIFT_BUILD_FLAGS as for make, e.g. "--scratch-path .build-release" to keep the release build apart.
swift build -c release ${SWIFT_BUILD_FLAGS:-} --product ticketd >/dev/null
swift build -c release ${SWIFT_BUILD_FLAGS:-} --product ticket-load >/dev/null
bin="$(swift build -c release ${SWIFT_BUILD_FLAGS:-} --show-bin-path)"

source "$(dirname "$0")/../private-redis.sh"
export REDIS_URL="redis://127.0.0.1:$redis_port" LOG_FILE=""

LOG_LEVEL=warning "$bin/ticketd" seed 1 "$TICKETS" --reset --per-user-limit 0 >/dev/null
port=$(free_port)
PORT=$port HOST=127.0.0.1 LOG_LEVEL=warning "$bin/ticketd" serve > "$dir/server.log" 2>&1 &
server=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/livez" >/dev/null && break; sleep 0.05; done
url="http://127.0.0.1:$port"

printf 'wrk.method = "POST"\n' > "$dir/post.lua"

# Prints "purchases/s p50 p99 non-2xx errors" of one wrk run.
run_wrk() {
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency --timeout 10s -s "$dir/post.lua" "$url/buy/1" > "$dir/wrk.out" 2>&1 || true
    local rps p50 p99 timeouts errors non2xx
    read -r rps p50 p99 timeouts errors non2xx < <(python3 "$(dirname "$0")/../wrk-summary.py" "$dir/wrk.out")
    echo "$rps $p50 $p99 $non2xx $((timeouts + errors))"
}

# Prints "purchases/s p50 p99 non-201 errors peak-connections verdict" of one ticket-load run (with its audit).
run_ticket_load() {
    "$bin/ticket-load" --url "$url" --event 1 --connections "$CONNECTIONS" --duration "$DURATION" --threads "$THREADS" \
        --ticketd "$bin/ticketd" --json "$dir/load.json" > "$dir/load.out" 2>&1 || true
    python3 - "$dir/load.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
non201 = sum(v for k, v in r["statusCounts"].items() if k != "201")
print(f'{r["purchasesPerSecond"]:.0f} {r["latency"]["p50"]:.2f} {r["latency"]["p99"]:.2f} {non201} '
      f'{sum(r["errors"].values())} {r["peakOpenConnections"]} {"PASS" if r["passed"] else "FAIL"}')
PY
}

echo "ticketd (release) at $CONNECTIONS connections, ${DURATION}s per run, $ROUNDS rounds, $THREADS client threads; Redis on loopback"
printf "%-6s %-12s %12s %9s %9s %8s %7s %6s %s\n" round client "purchases/s" "p50 ms" "p99 ms" "non-2xx" errors peak audit
wrk_total=0
load_total=0
for round in $(seq 1 "$ROUNDS"); do
    read -r w_rps w_p50 w_p99 w_non w_err < <(run_wrk)
    printf "%-6s %-12s %12s %9s %9s %8s %7s %6s %s\n" "$round" wrk "$w_rps" "$w_p50" "$w_p99" "$w_non" "$w_err" "" ""
    read -r l_rps l_p50 l_p99 l_non l_err l_peak l_verdict < <(run_ticket_load)
    printf "%-6s %-12s %12s %9s %9s %8s %7s %6s %s\n" "$round" ticket-load "$l_rps" "$l_p50" "$l_p99" "$l_non" "$l_err" "$l_peak" "$l_verdict"
    wrk_total=$((wrk_total + w_rps))
    load_total=$((load_total + l_rps))
done
python3 - "$wrk_total" "$load_total" "$ROUNDS" <<'PY'
import sys
wrk, load, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
print(f"mean purchases/s: wrk {wrk / rounds:.0f}, ticket-load {load / rounds:.0f}; "
      f"ticket-load / wrk = {load / wrk:.3f} (goal >= 0.85)")
PY
sold=$(curl -s "$url/events/1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sold"])')
echo "tickets sold in all: $sold of $TICKETS"
