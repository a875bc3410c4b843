#!/usr/bin/env bash
# PDF tickets under load, in one run against one Redis: purchase throughput with the background renderer off
# (PDF_WORKERS=0) and on (PDF_WORKERS=2), wrk at many connections on a pool that does not sell out; then, with the
# load gone, how fast the backlog drains: PDFs per CPU-second of ticketd (render, font subset, file write, ledger
# scan: the whole pipeline), render time per PDF, bytes per PDF, and whether every sale got its PDF.
#
# Run from the repository root: bash bench/pdf/run.sh (make bench-pdf). Knobs: CONNECTIONS (2000), DURATION (10s),
# THREADS (2), TICKETS (3000000), ROUNDS (2: off/on pairs, alternating, to even out noise), DRAIN_SECONDS (240),
# SCRATCH (.build: SwiftPM's scratch path, for instance one that holds a release build already).
# A benchmark, not a test: it prints figures and exits 0.
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-2000}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
TICKETS=${TICKETS:-3000000}
ROUNDS=${ROUNDS:-2}
DRAIN_SECONDS=${DRAIN_SECONDS:-240}
SCRATCH=${SCRATCH:-.build}
ADMIN_TOKEN=bench-admin-token
[ -f Package.swift ] || { echo "run from the repository root" >&2; exit 64; }
command -v wrk >/dev/null || { echo "wrk is missing: make deps" >&2; exit 69; }

ulimit -n "$(ulimit -Hn)"
swift build -c release --scratch-path "$SCRATCH" --product ticketd >/dev/null
bin="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/ticketd"

source "$(dirname "$0")/../private-redis.sh"
export REDIS_URL="redis://127.0.0.1:$redis_port" LOG_FILE="" LOG_LEVEL=warning ADMIN_TOKEN TICKET_SIGNING_KEY="bench signing key, 32 bytes long"

echo 'wrk.method = "POST"' > "$dir/post.lua"

# Starts the server with PDF_WORKERS=$1 on a fresh pool and an empty ticket directory; sets $server and $port.
start_server() {
    LOG_LEVEL=warning "$bin" seed 1 "$TICKETS" --reset --per-user-limit 0 >/dev/null
    rm -rf "$dir/tickets"
    port=$(free_port)
    PORT=$port HOST=127.0.0.1 PDF_WORKERS=$1 PDF_OUTPUT_DIR="$dir/tickets" "$bin" serve > "$dir/server-$1.log" 2>&1 &
    server=$!
    for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/livez" >/dev/null && return; sleep 0.05; done
    echo "server did not start:"; tail "$dir/server-$1.log"; exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

# Purchases per second from one wrk run.
measure() {
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 10s -s "$dir/post.lua" "http://127.0.0.1:$port/buy/1" > "$dir/wrk.out" 2>&1 || true
    python3 -c 'import re,sys; print(re.search(r"Requests/sec:\s+([\d.]+)", open(sys.argv[1]).read()).group(1))' "$dir/wrk.out"
}

stats() { curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$port/admin/pdf-stats"; }
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print("null" if v is None else v)' "$1" "$2"; }
sold() { curl -sf "http://127.0.0.1:$port/events/1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sold"])'; }
# ticketd's CPU time so far, in seconds (utime + stime from /proc).
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$server/stat"; }

off=()
on=()
for round in $(seq 1 "$ROUNDS"); do
    start_server 0
    off+=("$(measure)")
    stop_server

    start_server 2
    on+=("$(measure)")
    backlog_after_load=$(field "$(stats)" backlog)
    sold_on=$(sold)
    if [ "$round" != "$ROUNDS" ]; then stop_server; fi
done

# The last "on" server: let the backlog drain with no load, and measure what rendering costs.
files_before=$(field "$(stats)" files)
cpu_before=$(cpu_seconds)
start=$(date +%s.%N)
deadline=$(( $(date +%s) + DRAIN_SECONDS ))
while :; do
    s=$(stats)
    [ "$(field "$s" backlog)" = 0 ] && [ "$(field "$s" scanning)" = False ] && [ "$(field "$s" files)" -ge "$sold_on" ] && break
    [ "$(date +%s)" -ge "$deadline" ] && break
    sleep 1
done
end=$(date +%s.%N)
cpu_after=$(cpu_seconds)
s=$(stats)
files_after=$(field "$s" files)
bytes=$(field "$s" bytes)
p50=$(field "$s" renderP50Ms)
p99=$(field "$s" renderP99Ms)
backlog_left=$(field "$s" backlog)
# A sample ticket to look at.
first=$(find "$dir/tickets" -name '*.pdf' -print -quit)
[ -n "$first" ] && cp "$first" /tmp/ticketd-bench-sample.pdf

echo "wrk -t $THREADS -c $CONNECTIONS -d $DURATION POST /buy/1 against ticketd (release), Redis on loopback, 2 cores shared by all"
echo "purchases/s, renderer off (PDF_WORKERS=0): ${off[*]}"
echo "purchases/s, renderer on  (PDF_WORKERS=2): ${on[*]}"
python3 - "${off[*]}" "${on[*]}" "$backlog_after_load" "$sold_on" "$files_before" "$files_after" "$cpu_before" "$cpu_after" "$start" "$end" \
    "$bytes" "$p50" "$p99" "$backlog_left" <<'PY'
import sys
off = [float(x) for x in sys.argv[1].split()]
on = [float(x) for x in sys.argv[2].split()]
backlog, sold, f0, f1 = (int(x) for x in sys.argv[3:7])
cpu0, cpu1, t0, t1 = (float(x) for x in sys.argv[7:11])
nbytes = int(sys.argv[11])
p50, p99 = (None if x == "null" else float(x) for x in sys.argv[12:14])
left = int(sys.argv[14])
print(f"on/off throughput ratio: {sum(on) / sum(off):.3f} (goal >= 0.9); per round: " + ", ".join(f"{b / a:.3f}" for a, b in zip(off, on)))
print(f"backlog when the load stopped: {backlog} of {sold} sales (rendering yields to sales)")
rendered, cpu, wall = f1 - f0, cpu1 - cpu0, t1 - t0
if rendered > 0 and cpu > 0:
    print(f"drain: {rendered} PDFs in {wall:.1f} s wall, {cpu:.1f} s ticketd CPU: {rendered / cpu:.0f} PDFs per CPU-second, {rendered / wall:.0f} PDFs/s on 2 workers")
if p50 is not None:
    print(f"render alone (libharu + QR + font subset, no file write): p50 {p50:.3f} ms, p99 {p99:.3f} ms: {1000 / p50:.0f} PDFs/s per CPU at the median")
if f1:
    print(f"bytes per PDF: {nbytes / f1:.0f} ({f1} files, {nbytes / 1e6:.1f} MB)")
print(f"every sale has its PDF: {'yes' if left == 0 and f1 == sold else f'no: {f1} files for {sold} sales, backlog {left} (DRAIN_SECONDS too short?)'}")
PY
[ -f /tmp/ticketd-bench-sample.pdf ] && echo "a sample ticket: /tmp/ticketd-bench-sample.pdf"
