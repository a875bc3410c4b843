#!/usr/bin/env bash
# What tracing costs a purchase: wrk at 5000 connections against POST /buy/1 of a pool that does not sell out, with
# tracing off, on with every purchase sampled, and on with a 1% sampler (parentbased_traceidratio 0.01). Spans go
# over OTLP/HTTP to Tests/OTLPReceiver/otlp_receiver.py in counting mode on the same machine. Runs go
# off, all, 1%, 1%, all, off (A B C C B A) so that load drifting during the benchmark biases no side; every run is
# printed with the load average before it. PDF rendering is off (PDF_WORKERS=0): this is the purchase path's cost.
# Beside req/s each run prints the spans the receiver got per request (2 when every purchase's server and Redis spans
# arrive; fewer when the exporter falls behind and its queue drops spans) and the CPU time the server (and the
# receiver) spent per request, from /proc: on a shared machine throughput follows whatever CPU share the server got,
# CPU per request much less so.
#
# Run from the repository root: bash bench/tracing/run.sh (make bench-tracing). Knobs: CONNECTIONS (5000),
# DURATION (15s), THREADS (2), TICKETS (3000000), MODES (the runs, in order: "off all 1pct 1pct all off"; the
# sampler's cost is small beside one run's drift, so measure it alone over more runs: "off 1pct 1pct off off 1pct
# 1pct off"), SWIFT_BUILD_FLAGS, TICKETD_BIN. A benchmark, not a test: it prints
# figures and exits 0.
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-5000}
MODES=${MODES:-off all 1pct 1pct all off}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
TICKETS=${TICKETS:-3000000}
[ -f Package.swift ] || { echo "run from the repository root" >&2; exit 64; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk (make deps)" >&2; exit 69; }
python=.venv-test/bin/python3
[ -x "$python" ] || { echo "$python is missing: make deps installs it" >&2; exit 69; }

ulimit -n "$(ulimit -Hn)"
# TICKETD_BIN runs a binary built before (another commit's, for a comparison); otherwise the release build, with
# SWIFT_BUILD_FLAGS (e.g. --scratch-path .build-release) as for make.
if [ -n "${TICKETD_BIN:-}" ]; then
    bin=$TICKETD_BIN
else
    swift build -c release ${SWIFT_BUILD_FLAGS:-} --product ticketd >/dev/null
    bin="$(swift build -c release ${SWIFT_BUILD_FLAGS:-} --show-bin-path)/ticketd"
fi

source "$(dirname "$0")/../private-redis.sh"
export REDIS_URL="redis://127.0.0.1:$redis_port" LOG_FILE="" PDF_WORKERS=0 PDF_OUTPUT_DIR="$dir/tickets"

receiver_port=$(free_port)
"$python" Tests/OTLPReceiver/otlp_receiver.py --port "$receiver_port" --spans "$dir/spans.count" --discard > "$dir/receiver.log" 2>&1 &
receiver=$!
trap 'kill "$receiver" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 100); do grep -q listening "$dir/receiver.log" 2>/dev/null && break; sleep 0.05; done

cat > "$dir/post.lua" <<'LUA'
wrk.method = "POST"
LUA

# Starts the server in mode $1 (off, all, 1pct) on a fresh pool; sets $server and $port.
start_server() {
    LOG_LEVEL=warning "$bin" seed 1 "$TICKETS" --reset --per-user-limit 0 >/dev/null
    port=$(free_port)
    local tracing=()
    case $1 in
        off) ;;
        all) tracing=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$receiver_port") ;;
        1pct) tracing=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$receiver_port" OTEL_TRACES_SAMPLER=parentbased_traceidratio
            OTEL_TRACES_SAMPLER_ARG=0.01) ;;
    esac
    env "${tracing[@]}" PORT="$port" HOST=127.0.0.1 LOG_LEVEL=warning "$bin" serve > "$dir/server-$1.log" 2>&1 &
    server=$!
    for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/livez" >/dev/null && return; sleep 0.05; done
    echo "server did not start:"; tail "$dir/server-$1.log"; exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }
spans_received() { cat "$dir/spans.count" 2>/dev/null || echo 0; }
# User plus system CPU time of process $1 so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
seconds=$(python3 -c "import sys; d = sys.argv[1]; print({'s': 1, 'm': 60, 'h': 3600}.get(d[-1], 1) * float(d.rstrip('smh')))" "$DURATION")
ticks_per_second=$(getconf CLK_TCK)
# Microseconds of CPU per request: $1 ticks over $2 req/s for the run's duration.
us_per_request() { python3 -c "import sys; t, rps = map(float, sys.argv[1:3]); print(f'{t * 1e6 / float(sys.argv[3]) / max(rps * float(sys.argv[4]), 1):.1f}')" "$1" "$2" "$ticks_per_second" "$seconds"; }

# Runs wrk on POST /buy/1; prints "rps p50 p99 timeouts errors non2xx".
measure() {
    local out="$dir/wrk.out"
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency --timeout 10s -s "$dir/post.lua" "http://127.0.0.1:$port/buy/1" > "$out" 2>&1 || true
    python3 "$(dirname "$0")/../wrk-summary.py" "$out"
}

echo "wrk -t $THREADS -c $CONNECTIONS -d $DURATION, POST /buy/1 against ticketd (release), Redis and the OTLP receiver on loopback"
printf "%-4s %-6s %10s %9s %9s %8s %9s %10s %9s %11s %13s  %s\n" run mode "req/s" "p50 ms" "p99 ms" errors non-2xx spans \
    "spans/r" "server us/r" "receiver us/r" "load average before"
declare -A total=() runs=() cpu=()
number=0
for mode in $MODES; do
    number=$((number + 1))
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    before=$(spans_received)
    start_server "$mode"
    server_before=$(cpu_ticks "$server") receiver_before=$(cpu_ticks "$receiver")
    read -r rps p50 p99 timeouts socket_errors non2xx < <(measure)
    server_ticks=$(( $(cpu_ticks "$server") - server_before )) receiver_ticks=$(( $(cpu_ticks "$receiver") - receiver_before ))
    errors=$((timeouts + socket_errors))
    stop_server
    spans=$(( $(spans_received) - before ))
    server_us=$(us_per_request "$server_ticks" "$rps") receiver_us=$(us_per_request "$receiver_ticks" "$rps")
    spans_per_request=$(python3 -c "import sys; print(f'{float(sys.argv[1]) / max(float(sys.argv[2]) * float(sys.argv[3]), 1):.2f}')" "$spans" "$rps" "$seconds")
    printf "%-4s %-6s %10s %9s %9s %8s %9s %10s %9s %11s %13s  %s\n" "$number" "$mode" "$rps" "$p50" "$p99" "$errors" "$non2xx" "$spans" \
        "$spans_per_request" "$server_us" "$receiver_us" "$load"
    total[$mode]=$(( ${total[$mode]:-0} + rps ))
    cpu[$mode]="${cpu[$mode]:-} $server_us"
    runs[$mode]=$(( ${runs[$mode]:-0} + 1 ))
done
python3 - "${total[off]:-0}" "${total[all]:-0}" "${total[1pct]:-0}" "${runs[off]:-0}" "${runs[all]:-0}" "${runs[1pct]:-0}" \
    "${cpu[off]:-}" "${cpu[all]:-}" "${cpu[1pct]:-}" <<'PY'
import sys
totals = dict(zip(["off", "all", "1pct"], map(float, sys.argv[1:4])))
runs = dict(zip(["off", "all", "1pct"], map(int, sys.argv[4:7])))
cpu = dict(zip(["off", "all", "1pct"], (sum(map(float, text.split())) for text in sys.argv[7:10])))
mean = lambda mode: totals[mode] / runs[mode]
mean_cpu = lambda mode: cpu[mode] / runs[mode]
if runs["off"]:
    for mode, label, goal in (("all", "every purchase sampled", 0.9), ("1pct", "a 1% sampler", 0.97)):
        if runs[mode]:
            print(f"purchases/s, tracing on with {label} over off (means of runs): {mean(mode) / mean('off'):.3f} (goal >= {goal})")
            print(f"server CPU per request, off over {label}: {mean_cpu('off') / mean_cpu(mode):.3f}")
PY
