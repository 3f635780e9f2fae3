#!/usr/bin/env bash
# A 3-node fencekv cluster on loopback beside a single fencekv node and
# redis-server, in one run: redis-benchmark -t set,get -c 50 -n $N at -P 1 and
# -P 16 against
#   - redis-server without persistence
#   - fencekv serve, a single node (--appendfsync everysec)
#   - the cluster's leader, and one of its followers (which forwards every
#     request to the leader), all nodes with --appendfsync everysec
# Prints a markdown table with requests/s and ratios to redis-server. All four
# servers and redis-benchmark share the machine's cores.
#
# Usage: bench/cluster-benchmark.sh   (builds target/release/fencekv)
#   N=100000 CLIENTS=50 FENCEKV_BIN=path/to/fencekv bench/cluster-benchmark.sh
set -euo pipefail

N=${N:-100000}
CLIENTS=${CLIENTS:-50}
BASE=${BASE:-7820}

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

P_REDIS=$BASE
P_SINGLE=$((BASE + 1))
P_NODE=$((BASE + 2)) # nodes 1..3 on P_NODE..P_NODE+2, peers on BASE+10..
peers="1=127.0.0.1:$((BASE + 10)),2=127.0.0.1:$((BASE + 11)),3=127.0.0.1:$((BASE + 12))"

redis-server --port "$P_REDIS" --save '' --appendonly no --dir "$work" \
    --logfile "$work/redis.log" &
pids+=($!)
"$FENCEKV_BIN" serve --port "$P_SINGLE" --dir "$work/single" --log-level warn \
    >"$work/single.log" 2>&1 &
pids+=($!)
for i in 1 2 3; do
    "$FENCEKV_BIN" serve --id "$i" --peers "$peers" --cluster-secret-file "$SECRET" --port $((P_NODE + i - 1)) \
        --dir "$work/node$i" --log-level warn >"$work/node$i.log" 2>&1 &
    pids+=($!)
done
for p in "$P_REDIS" "$P_SINGLE" "$P_NODE" $((P_NODE + 1)) $((P_NODE + 2)); do wait_port "$p"; done

leader=$(find_leader "$P_NODE" $((P_NODE + 1)) $((P_NODE + 2)))
follower=$P_NODE
[[ "$follower" == "$leader" ]] && follower=$((P_NODE + 1))

for pipe in 1 16; do
    run redis "$P_REDIS" "$pipe"
    run single "$P_SINGLE" "$pipe"
    run leader "$leader" "$pipe"
    run follower "$follower" "$pipe"
done

echo
echo "redis-benchmark -t set,get -c $CLIENTS -n $N ($(nproc) cores; redis-server $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p'))"
echo
echo "| test | -P | redis | fencekv single | cluster leader | cluster follower | single / redis | leader / redis | follower / redis |"
echo "|---|---|---|---|---|---|---|---|---|"
for pipe in 1 16; do
    for test in SET GET; do
        r=${RPS["redis,$pipe,$test"]:-0}
        s=${RPS["single,$pipe,$test"]:-0}
        l=${RPS["leader,$pipe,$test"]:-0}
        f=${RPS["follower,$pipe,$test"]:-0}
        echo "| $test | $pipe | $r | $s | $l | $f | $(ratio "$s" "$r") | $(ratio "$l" "$r") | $(ratio "$f" "$r") |"
    done
done
