#!/usr/bin/env bash
# The floor under ticketd's goals: what the HTTP framework alone costs at 5000 connections, on this machine, in one
# run. Servers (bench/floor/Sources, the FloorServer executable, built with TICKETD_BENCH=1), each run on a fresh
# process:
#   nio          SwiftNIO HTTP/1, "ok" from a channel handler: no task per connection
#   livez        Hummingbird, no middleware, GET /livez: the no-op route
#   hop          Hummingbird, POST /hop: one await resumed from an event loop, a purchase-sized 201
#   traced-hop   hop with a recording tracer that exports nothing: a server span and a client span per request
# Each run prints req/s, the server's CPU µs per request (from /proc), its peak RSS and the connections it held
# mid-run; then the means, and the ratios that ticketd's goals are ratios of: hop over livez (a purchase's 0.8),
# traced-hop over hop (tracing's 0.9), and peak RSS against 100 MB.
#
# Run from the repository root (`make bench-floor`). Knobs: CONNECTIONS (5000), DURATION (10s), THREADS (2),
# MODES (the runs, in order: "nio livez hop traced-hop traced-hop hop livez nio", A B C D D C B A so that a drifting
# load biases no side), SCRATCH (.build-bench). A benchmark, not a test: it prints figures and exits 0.
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-5000}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
MODES=${MODES:-nio livez hop traced-hop traced-hop hop livez nio}
SCRATCH=${SCRATCH:-.build-bench}
[ -f Package.swift ] || { echo "run from the repository root" >&2; exit 64; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk (make deps)" >&2; exit 69; }

ulimit -n "$(ulimit -Hn)"
TICKETD_BENCH=1 swift build -c release --scratch-path "$SCRATCH" --product FloorServer 2>&1 | tail -n 1
bin="$(TICKETD_BENCH=1 swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/FloorServer"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
dir=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT
printf 'wrk.method = "POST"\n' > "$dir/post.lua"
seconds=$(python3 -c "import sys; d = sys.argv[1]; print({'s': 1, 'm': 60, 'h': 3600}.get(d[-1], 1) * float(d.rstrip('smh')))" "$DURATION")

# Runs one mode on a fresh server; prints its row of the table on standard error and
# "mode rps us_per_request peak_rss_mb idle_rss_mb" on standard output.
run_mode() {
    local mode=$1 port env=() url
    port=$(free_port)
    case $mode in
        nio) env=(FLOOR_SERVER=nio); url="http://127.0.0.1:$port/livez" ;;
        livez) env=(FLOOR_SERVER=hummingbird); url="http://127.0.0.1:$port/livez" ;;
        hop) env=(FLOOR_SERVER=hummingbird); url="http://127.0.0.1:$port/hop" ;;
        traced-hop) env=(FLOOR_SERVER=hummingbird FLOOR_TRACING=1); url="http://127.0.0.1:$port/hop" ;;
        *) echo "unknown mode $mode" >&2; exit 64 ;;
    esac
    env "${env[@]}" PORT="$port" "$bin" > "$dir/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/livez" >/dev/null && break; sleep 0.05; done
    local idle ticks_before connections="?" rps ticks_after peak timeouts errors non2xx
    idle=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$server/status")
    ticks_before=$(awk '{ print $14 + $15 }' "/proc/$server/stat")
    local lua=()
    [ "$mode" = hop ] || [ "$mode" = traced-hop ] && lua=(-s "$dir/post.lua")
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency --timeout 10s "${lua[@]}" "$url" > "$dir/wrk.out" 2>&1 &
    local wrk_pid=$!
    sleep "$(python3 -c "print($seconds / 2)")"
    if command -v ss >/dev/null; then connections=$(ss -Htn state established "( sport = :$port )" | wc -l); fi
    wait "$wrk_pid" || true
    ticks_after=$(awk '{ print $14 + $15 }' "/proc/$server/stat")
    peak=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$server/status")
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    read -r rps _ _ timeouts errors non2xx < <(python3 "$(dirname "$0")/../wrk-summary.py" "$dir/wrk.out")
    local us
    us=$(python3 -c "import os, sys; t, r, s = map(float, sys.argv[1:]); print(f'{t * 1e6 / os.sysconf(\"SC_CLK_TCK\") / max(r * s, 1):.1f}')" \
        "$((ticks_after - ticks_before))" "$rps" "$seconds")
    printf "%-11s %9s %9s %9s %9s %11s %9s %7s %8s\n" "$mode" "$rps" "$us" "$peak" "$idle" "$connections" "$timeouts" "$errors" "$non2xx" >&2
    echo "$mode $rps $us $peak $idle"
}

echo "wrk -t $THREADS -c $CONNECTIONS -d $DURATION against FloorServer (release), 2 cores shared with wrk"
printf "%-11s %9s %9s %9s %9s %11s %9s %7s %8s\n" mode "req/s" "µs/req" "peak MB" "idle MB" connections timeouts errors non-2xx
results="$dir/results"
for mode in $MODES; do run_mode "$mode" >> "$results"; done
python3 - "$results" "$CONNECTIONS" <<'PY'
import collections, sys
connections = int(sys.argv[2])
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    mode, *values = line.split()
    runs[mode].append(tuple(map(float, values)))
mean = {mode: [sum(column) / len(column) for column in zip(*values)] for mode, values in runs.items()}
print("means: " + ", ".join(f"{mode} {m[0]:.0f} req/s, {m[1]:.1f} µs/req, peak {m[2]:.1f} MB" for mode, m in mean.items()))
def ratio(label, over, under, goal):
    if over in mean and under in mean:
        print(f"{label}: {mean[over][0] / mean[under][0]:.2f} in req/s, {mean[under][1] / mean[over][1]:.2f} in CPU per request (ticketd's goal {goal})")
ratio("hop over livez, the floor of a purchase over the no-op route", "hop", "livez", ">= 0.8")
ratio("traced-hop over hop, the floor of tracing every request", "traced-hop", "hop", ">= 0.9")
for mode in ("nio", "livez", "hop", "traced-hop"):
    if mode in mean:
        peak, idle = mean[mode][2], mean[mode][3]
        print(f"{mode}: peak RSS {peak:.1f} MB, {(peak - idle) * 1024 / connections:.1f} KB per connection over {idle:.1f} MB idle (ticketd's goal: 100 MB in all)")
PY
