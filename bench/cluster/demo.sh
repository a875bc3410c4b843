#!/usr/bin/env bash
# `make cluster-demo`: a local 3-primary Redis Cluster, three ticketd instances sharing it, and nginx in front of
# them on PORT (3049). `make cluster-demo-down` (this script with `down`) stops all of it.
#
# Everything lives in .cluster-demo/ (data, logs, pid files, nginx.conf). Ports: CLUSTER_REDIS_PORTS (7101 7102 7103,
# bus ports +10000), CLUSTER_APP_PORTS (3051 3052 3053). TICKETD_BIN runs that binary instead of a release build.
# Events 1-SEED_EVENTS (5) get SEED_TICKETS (10000) tickets each in SEED_STRIPES (3) stripes, so that each event
# sells from every shard.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD/.cluster-demo"
port=${PORT:-3049}
read -r -a redis_ports <<<"${CLUSTER_REDIS_PORTS:-7101 7102 7103}"
read -r -a app_ports <<<"${CLUSTER_APP_PORTS:-3051 3052 3053}"
events=${SEED_EVENTS:-5}
tickets=${SEED_TICKETS:-10000}
stripes=${SEED_STRIPES:-3}

down() {
    [ -f "$root/nginx.pid" ] && kill "$(cat "$root/nginx.pid")" 2>/dev/null || true
    for pidfile in "$root"/app-*.pid; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
    done
    for p in "${redis_ports[@]}"; do
        [ -f "$root/redis-$p/redis.pid" ] && kill "$(cat "$root/redis-$p/redis.pid")" 2>/dev/null || true
    done
    echo "cluster demo stopped"
}

wait_for() { # description, command...: polls every 0.1 s, up to 20 s
    local what=$1
    shift
    for _ in $(seq 1 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "timed out waiting for $what" >&2
    return 1
}

if [ "${1:-up}" = down ]; then
    down
    exit 0
fi

for p in "$port" "${redis_ports[@]}" "${app_ports[@]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        echo "port $p is in use: run \`make cluster-demo-down\` or choose other ports (PORT, CLUSTER_REDIS_PORTS, CLUSTER_APP_PORTS)" >&2
        exit 1
    fi
done

bin=${TICKETD_BIN:-}
if [ -z "$bin" ]; then
    swift build -c release --product ticketd
    bin="$(swift build -c release --show-bin-path)/ticketd"
fi

rm -rf "$root"
mkdir -p "$root"
nodes=""
for p in "${redis_ports[@]}"; do
    mkdir -p "$root/redis-$p"
    redis-server --port "$p" --cluster-port $((p + 10000)) --bind 127.0.0.1 --cluster-enabled yes \
        --cluster-node-timeout 2000 --cluster-require-full-coverage no --save "" --appendonly no --dir "$root/redis-$p" --daemonize yes \
        --pidfile "$root/redis-$p/redis.pid" --logfile "$root/redis-$p/redis.log"
    wait_for "redis on $p" redis-cli -p "$p" ping
    nodes="$nodes${nodes:+,}127.0.0.1:$p"
done
redis-cli --cluster create ${nodes//,/ } --cluster-replicas 0 --cluster-yes >"$root/cluster-create.log"
for p in "${redis_ports[@]}"; do
    wait_for "cluster_state:ok on $p" bash -c "redis-cli -p $p cluster info | grep -q cluster_state:ok"
done
echo "Redis Cluster up: $nodes"

export REDIS_CLUSTER_NODES=$nodes LOG_LEVEL=${LOG_LEVEL:-warning}
"$bin" seed "$events" "$tickets" --stripes "$stripes"

for i in "${!app_ports[@]}"; do
    app=$((i + 1))
    PORT=${app_ports[$i]} HOST=127.0.0.1 INSTANCE_ID="demo-$app" FALLBACK_DIR="$root/app-$app" \
        PDF_OUTPUT_DIR="$root/app-$app/tickets" LOG_FILE="$root/app-$app.log" \
        nohup "$bin" serve >"$root/app-$app.out" 2>&1 &
    echo $! >"$root/app-$app.pid"
done
for p in "${app_ports[@]}"; do wait_for "ticketd on $p" curl -sf "http://127.0.0.1:$p/livez"; done

upstreams=""
for p in "${app_ports[@]}"; do upstreams="$upstreams        server 127.0.0.1:$p;"$'\n'; done
mkdir -p "$root/nginx"
cat >"$root/nginx.conf" <<CONF
worker_processes auto;
worker_rlimit_nofile 65536;
pid $root/nginx.pid;
error_log $root/nginx/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $root/nginx/body;
    proxy_temp_path $root/nginx/proxy;
    fastcgi_temp_path $root/nginx/fastcgi;
    uwsgi_temp_path $root/nginx/uwsgi;
    scgi_temp_path $root/nginx/scgi;
    upstream ticketd {
        least_conn;
$upstreams        keepalive 512;
    }
    server {
        listen 127.0.0.1:$port backlog=4096;
        location / {
            proxy_pass http://ticketd;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_read_timeout 60s;
        }
    }
}
CONF
nginx -c "$root/nginx.conf" -p "$root/nginx"
wait_for "nginx on $port" curl -sf "http://127.0.0.1:$port/livez"
echo "ticketd x${#app_ports[@]} behind nginx on http://127.0.0.1:$port (events 1-$events, $tickets tickets each in $stripes stripes)"
echo "stop with: make cluster-demo-down"
