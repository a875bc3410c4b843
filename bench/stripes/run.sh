#!/usr/bin/env bash
# One hot event on a local 3-primary Redis Cluster, seeded in 1 stripe and then in 3 (one per primary): wrk
# POST /buy/1 against one ticketd, runs A B A B. Prints purchases/s, Redis CPU per purchase over all the nodes and on
# the busiest node (INFO cpu: user + system, protocol included), and what that busiest node could sell per second
# with a core of its own: the ceiling striping lifts.
#
# Run from the repository root: bash bench/stripes/run.sh (make bench-stripes). Knobs: CONNECTIONS (2000),
# DURATION (15s), THREADS (2), TICKETS (3000000), CLUSTER_PORTS (7201 7202 7203; bus ports +10000). A benchmark,
# not a test: it prints figures and exits 0. Here wrk, ticketd and three Redis processes share 2 cores, so
# purchases/s is bound by the HTTP side; the CPU figures per purchase are what carry over to a real cluster.
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-2000}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
TICKETS=${TICKETS:-3000000}
read -r -a ports <<<"${CLUSTER_PORTS:-7201 7202 7203}"
[ -f Package.swift ] || { echo "run from the repository root" >&2; exit 64; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk (make deps)" >&2; exit 69; }
for p in "${ports[@]}"; do
    for q in "$p" $((p + 10000)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$q") 2>/dev/null; then echo "port $q is in use: set CLUSTER_PORTS" >&2; exit 1; fi
    done
done

ulimit -n "$(ulimit -Hn)"
swift build -c release --product ticketd >/dev/null
bin="$(swift build -c release --show-bin-path)/ticketd"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

dir=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
    for p in "${ports[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

nodes=""
for p in "${ports[@]}"; do
    mkdir -p "$dir/redis-$p"
    redis-server --port "$p" --cluster-port $((p + 10000)) --bind 127.0.0.1 --cluster-enabled yes --save "" \
        --appendonly no --dir "$dir/redis-$p" --daemonize yes --pidfile "$dir/redis-$p/redis.pid" \
        --logfile "$dir/redis-$p/redis.log"
    for _ in $(seq 1 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
    nodes="$nodes${nodes:+,}127.0.0.1:$p"
done
redis-cli --cluster create ${nodes//,/ } --cluster-replicas 0 --cluster-yes >"$dir/cluster-create.log"
for p in "${ports[@]}"; do
    for _ in $(seq 1 200); do redis-cli -p "$p" cluster info | grep -q cluster_state:ok && break; sleep 0.1; done
done
export REDIS_CLUSTER_NODES=$nodes LOG_FILE="" LOG_LEVEL=warning

cat >"$dir/post.lua" <<'LUA'
wrk.method = "POST"
LUA

# CPU seconds of each node so far, one line "port seconds" each.
node_cpu() {
    for p in "${ports[@]}"; do
        printf "%s " "$p"
        redis-cli -p "$p" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/ {t += $2} END {printf "%.4f\n", t}'
    done
}

# One run with event 1 in $1 stripes: prints "purchases/s sold cpu_total_us_per_purchase busiest_us_per_purchase
# busiest_port stripes_on_nodes".
run() {
    LOG_LEVEL=warning "$bin" seed 1 "$TICKETS" --reset --stripes "$1" --per-user-limit 0 >/dev/null
    local port
    port=$(free_port)
    PORT=$port HOST=127.0.0.1 "$bin" serve >"$dir/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/livez" >/dev/null && break; sleep 0.05; done
    node_cpu >"$dir/cpu-before"
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 10s -s "$dir/post.lua" "http://127.0.0.1:$port/buy/1" >"$dir/wrk.out" 2>&1 || true
    node_cpu >"$dir/cpu-after"
    local rps sold
    rps=$(python3 "$(dirname "$0")/../wrk-summary.py" "$dir/wrk.out" | awk '{print $1}')
    sold=$(curl -s "http://127.0.0.1:$port/events/1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sold"])')
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=""
    python3 - "$rps" "$sold" "$dir/cpu-before" "$dir/cpu-after" <<'PY'
import sys
rps, sold = float(sys.argv[1]), max(float(sys.argv[2]), 1)
def read(path):
    return {port: float(seconds) for port, seconds in (line.split() for line in open(path))}
before, after = read(sys.argv[3]), read(sys.argv[4])
used = {port: after[port] - before[port] for port in after}
busiest = max(used, key=used.get)
print(f"{rps:.0f} {sold:.0f} {sum(used.values()) * 1e6 / sold:.2f} {used[busiest] * 1e6 / sold:.2f} {busiest}")
PY
}

declare -A rps cpu busiest
for round in 1 2; do
    for stripes in 1 3; do
        read -r r s total hot port < <(run "$stripes")
        echo "round $round, $stripes stripe(s): $r purchases/s, $s sold, Redis CPU $total µs/purchase in all, $hot µs on the busiest node ($port)"
        rps[$stripes]="${rps[$stripes]:-} $r"
        cpu[$stripes]="${cpu[$stripes]:-} $total"
        busiest[$stripes]="${busiest[$stripes]:-} $hot"
    done
done

echo
echo "wrk -t $THREADS -c $CONNECTIONS -d $DURATION, one ticketd (release) on a 3-primary cluster; 2 cores shared by all"
python3 - "${rps[1]}" "${rps[3]}" "${cpu[1]}" "${cpu[3]}" "${busiest[1]}" "${busiest[3]}" <<'PY'
import sys
mean = lambda text: sum(map(float, text.split())) / len(text.split())
rps1, rps3, cpu1, cpu3, hot1, hot3 = map(mean, sys.argv[1:])
print(f"{'':34} {'1 stripe':>10} {'3 stripes':>10}")
print(f"{'purchases/s (mean of 2)':34} {rps1:10.0f} {rps3:10.0f}")
print(f"{'Redis CPU per purchase, all nodes':34} {cpu1:9.2f}µs {cpu3:9.2f}µs")
print(f"{'... on the busiest node':34} {hot1:9.2f}µs {hot3:9.2f}µs")
print(f"{'busiest node ceiling, 1 core':34} {1e6 / hot1:10.0f} {1e6 / hot3:10.0f}  purchases/s")
print(f"3 stripes over 1: purchases/s {rps3 / rps1:.2f}x, ceiling {hot1 / hot3:.2f}x")
PY
