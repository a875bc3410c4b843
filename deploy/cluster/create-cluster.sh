#!/bin/sh
# The `cluster-create` one-shot of docker-compose.yml's `cluster` profile: makes the Redis nodes given as host:port
# arguments one cluster of primaries (`redis-cli --cluster create … --cluster-replicas 0`), unless they already are
# one, then waits until every node says cluster_state:ok. Run again on a formed cluster, it only has the nodes meet
# again at their current addresses.
# POSIX sh: it runs in the redis:alpine image (busybox).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 host:port host:port..." >&2; exit 2; }

cli() { # node, command...
    address=$1
    shift
    redis-cli -h "${address%:*}" -p "${address##*:}" "$@"
}

field() { # node, name: one field of the node's CLUSTER INFO; fails when the node does not answer
    info=$(cli "$1" cluster info) || return 1
    printf '%s\n' "$info" | tr -d '\r' | sed -n "s/^$2://p"
}

formed=0
fresh=0
for node in "$@"; do
    assigned=$(field "$node" cluster_slots_assigned)
    known=$(field "$node" cluster_known_nodes)
    if [ "$assigned" = 16384 ] && [ "$known" = $# ]; then
        formed=$((formed + 1))
    elif [ "$assigned" = 0 ] && [ "$known" = 1 ]; then
        fresh=$((fresh + 1))
    fi
done

if [ "$formed" = $# ]; then
    members=$(cli "$1" cluster nodes)
    for node in "$@"; do
        id=$(cli "$node" cluster myid)
        id=$(printf '%s' "$id" | tr -d '\r\n')
        case "$members" in
        *"$id"*) [ -n "$id" ] || { echo "$node: no node id" >&2; exit 1; } ;;
        *)
            echo "$node (node $id) is in another cluster than $1" >&2
            exit 1
            ;;
        esac
    done
    echo "the cluster exists already: $*"
    # Containers recreated (docker-compose down, then up) may come back with other IPs than the nodes keep in
    # nodes.conf, and then never find each other: every node meets every other at its current IP, the local address
    # of a connection to it (a known node met at a new address is only moved there; nothing changes otherwise).
    # The cluster bus port is the one after the @ on the node's own (myself) line of CLUSTER NODES.
    for node in "$@"; do
        ip=$(cli "$node" client info)
        ip=$(printf '%s\n' "$ip" | tr -d '\r' | sed -n 's/.* laddr=\([^ ]*\):[0-9]* .*/\1/p')
        bus=$(cli "$node" cluster nodes)
        bus=$(printf '%s\n' "$bus" | sed -n 's/^[^ ]* [^@ ]*@\([0-9]*\)[^ ]* myself.*/\1/p')
        if [ -z "$ip" ] || [ -z "$bus" ]; then
            echo "$node: no address in CLIENT INFO, or no bus port in CLUSTER NODES" >&2
            exit 1
        fi
        for other in "$@"; do
            [ "$other" = "$node" ] || cli "$other" cluster meet "$ip" "${node##*:}" "$bus" >/dev/null
        done
    done
elif [ "$fresh" = $# ]; then
    redis-cli --cluster create "$@" --cluster-replicas 0 --cluster-yes
else
    echo "the nodes are neither one formed cluster nor all empty ($formed formed, $fresh empty of $#): see" \
        "redis-cli --cluster check $1; a node that lost its volume must be reset and added back by hand" >&2
    exit 1
fi

settled() { # node: cluster_state:ok, and no handshake (a meeting) in progress
    [ "$(field "$1" cluster_state)" = ok ] || return 1
    nodes=$(cli "$1" cluster nodes) || return 1
    case "$nodes" in *handshake*) return 1 ;; esac
}

for node in "$@"; do
    tries=0
    until settled "$node"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 60 ]; then
            echo "$node: no cluster_state:ok (or still meeting a node) after 60 s" >&2
            exit 1
        fi
        sleep 1
    done
done
echo "cluster_state:ok on $*"
