#!/usr/bin/env bash
# Collections side by side with redis-server, in one run:
#   1. throughput: redis-benchmark -t lpush,rpush,lpop,rpop,sadd,hset,spop,
#      zadd,lrange_100,lrange_600 -c $CLIENTS -n $N at -P 1 and -P 16, against
#      redis-server without persistence and fencekv serve (everysec);
#   2. memory: the resident set size of each server after loading one hash of
#      $MEMBERS fields and one sorted set of $MEMBERS members (redis-cli --pipe),
#      minus its size before.
# Prints two markdown tables with the fencekv/redis ratios, then cleans up.
#
# Usage: bench/collections-benchmark.sh      (builds target/release/fencekv)
#   N=100000 CLIENTS=50 MEMBERS=1000000 FENCEKV_BIN=path/to/fencekv bench/collections-benchmark.sh
set -euo pipefail

N=${N:-100000}
CLIENTS=${CLIENTS:-50}
MEMBERS=${MEMBERS:-1000000}
PORT_REDIS=${PORT_REDIS:-7820}
PORT_FENCEKV=${PORT_FENCEKV:-7821}
TESTS=lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,lrange_100,lrange_600

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

mkdir -p "$work/redis" "$work/fencekv"
redis-server --port "$PORT_REDIS" --save '' --appendonly no --dir "$work/redis" \
    --logfile "$work/redis.log" &
redis_pid=$!
pids+=("$redis_pid")
"$FENCEKV_BIN" serve --port "$PORT_FENCEKV" --dir "$work/fencekv/data" \
    --appendfsync everysec --log-level warn >"$work/fencekv.log" 2>&1 &
fencekv_pid=$!
pids+=("$fencekv_pid")
wait_port "$PORT_REDIS"
wait_port "$PORT_FENCEKV"

for pipe in 1 16; do
    run redis "$PORT_REDIS" "$pipe"
    run fencekv "$PORT_FENCEKV" "$pipe"
done

echo
echo "redis-benchmark -t $TESTS -c $CLIENTS -n $N ($(nproc) cores; redis-server $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p'))"
echo
echo "| test | -P | redis (no persistence) | fencekv (everysec) | fencekv / redis |"
echo "|---|---|---|---|---|"
for pipe in 1 16; do
    for test in $(echo "$TESTS" | tr a-z, A-Z' '); do
        r=${RPS["redis,$pipe,$test"]:-0}
        f=${RPS["fencekv,$pipe,$test"]:-0}
        echo "| $test | $pipe | $r | $f | $(ratio "$f" "$r") |"
    done
done

# Memory: flush, measure, load, measure.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# load <port> <command> <key>: $MEMBERS elements of one collection, in
# batches of 1000 per command.
load() {
    local port=$1 cmd=$2 key=$3
    awk -v n="$MEMBERS" -v cmd="$cmd" -v key="$key" 'BEGIN {
        for (i = 0; i < n; i += 1000) {
            m = (n - i < 1000) ? n - i : 1000
            printf "*%d\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", 2 + 2 * m, length(cmd), cmd, length(key), key
            for (j = i; j < i + m; j++) {
                if (cmd == "HSET") { a = "field:" j; b = "value:" j } else { a = j; b = "member:" j }
                printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(a), a, length(b), b
            }
        }
    }' | redis-cli -p "$port" --pipe >/dev/null
}
declare -A MEM
for name in redis fencekv; do
    port=PORT_${name^^}
    pid=${name}_pid
    redis-cli -p "${!port}" flushall >/dev/null
    before=$(rss_kb "${!pid}")
    load "${!port}" HSET h
    after_hash=$(rss_kb "${!pid}")
    load "${!port}" ZADD z
    after_zset=$(rss_kb "${!pid}")
    MEM["$name,hash"]=$(( (after_hash - before) / 1024 ))
    MEM["$name,zset"]=$(( (after_zset - after_hash) / 1024 ))
    [[ $(redis-cli -p "${!port}" hlen h) == "$MEMBERS" ]] || { echo "$name: HLEN is not $MEMBERS" >&2; exit 1; }
    [[ $(redis-cli -p "${!port}" zcard z) == "$MEMBERS" ]] || { echo "$name: ZCARD is not $MEMBERS" >&2; exit 1; }
done
echo
echo "RSS growth for one collection of $MEMBERS elements (MiB)"
echo
echo "| collection | redis | fencekv | fencekv / redis |"
echo "|---|---|---|---|"
for c in hash zset; do
    echo "| $c | ${MEM["redis,$c"]} | ${MEM["fencekv,$c"]} | $(ratio "${MEM["fencekv,$c"]}" "${MEM["redis,$c"]}") |"
done
