#!/usr/bin/env bash
# Compare fencekv with redis-server using redis-benchmark, in one run:
#   - redis-server without persistence (--save '' --appendonly no)
#   - redis-server with an AOF fsynced every second (like for like with
#     fencekv's default --appendfsync everysec)
#   - fencekv serve --appendfsync everysec (release build)
# each with `-t set,get -c 50 -n $N` at -P 1 and -P 16. Prints a markdown
# table with requests/s and the fencekv/redis ratios, then cleans up.
#
# Usage: bench/redis-benchmark.sh            (builds target/release/fencekv)
#   N=200000 CLIENTS=50 FENCEKV_BIN=path/to/fencekv bench/redis-benchmark.sh
set -euo pipefail

N=${N:-200000}
CLIENTS=${CLIENTS:-50}
PORT_REDIS=${PORT_REDIS:-7810}
PORT_REDIS_AOF=${PORT_REDIS_AOF:-7811}
PORT_FENCEKV=${PORT_FENCEKV:-7812}

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

mkdir -p "$work/redis" "$work/redis-aof" "$work/fencekv"
redis-server --port "$PORT_REDIS" --save '' --appendonly no --dir "$work/redis" \
    --logfile "$work/redis.log" &
pids+=($!)
redis-server --port "$PORT_REDIS_AOF" --save '' --appendonly yes --appendfsync everysec \
    --dir "$work/redis-aof" --logfile "$work/redis-aof.log" &
pids+=($!)
"$FENCEKV_BIN" serve --port "$PORT_FENCEKV" --dir "$work/fencekv/data" \
    --appendfsync everysec --log-level warn >"$work/fencekv.log" 2>&1 &
pids+=($!)
wait_port "$PORT_REDIS"
wait_port "$PORT_REDIS_AOF"
wait_port "$PORT_FENCEKV"

for pipe in 1 16; do
    run redis "$PORT_REDIS" "$pipe"
    run redis-aof "$PORT_REDIS_AOF" "$pipe"
    run fencekv "$PORT_FENCEKV" "$pipe"
done

echo
echo "redis-benchmark -t set,get -c $CLIENTS -n $N ($(nproc) cores; redis-server $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p'))"
echo
echo "| test | -P | redis (no persistence) | redis (AOF everysec) | fencekv (everysec) | fencekv / redis | fencekv / redis AOF |"
echo "|---|---|---|---|---|---|---|"
for pipe in 1 16; do
    for test in SET GET; do
        r=${RPS["redis,$pipe,$test"]:-0}
        a=${RPS["redis-aof,$pipe,$test"]:-0}
        f=${RPS["fencekv,$pipe,$test"]:-0}
        echo "| $test | $pipe | $r | $a | $f | $(ratio "$f" "$r") | $(ratio "$f" "$a") |"
    done
done
