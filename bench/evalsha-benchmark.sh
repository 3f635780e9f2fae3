#!/usr/bin/env bash
# EVALSHA throughput, redis-server (no persistence) beside a single fencekv
# node (--appendfsync everysec), in one run: SCRIPT LOAD a one-GET script on
# both, then `redis-benchmark -c $CLIENTS -n $N -P 1 EVALSHA <sha> 1 key` and
# the same at -P 16 on both. Prints a markdown table with requests/s and the
# ratio fencekv / redis (target: at least 0.5). Both servers and
# redis-benchmark share the machine's cores.
#
# Usage: bench/evalsha-benchmark.sh      (builds target/release/fencekv)
#   N=100000 CLIENTS=50 FENCEKV_BIN=path/to/fencekv bench/evalsha-benchmark.sh
set -euo pipefail

N=${N:-100000}
CLIENTS=${CLIENTS:-50}
BASE=${BASE:-7860}

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${FENCEKV_BIN:-}" && -n "${CARGO_TARGET_DIR:-}" ]]; then
    (cd "$root" && cargo build --release --quiet --bin fencekv)
    FENCEKV_BIN=$CARGO_TARGET_DIR/release/fencekv
fi

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

# The script: GET KEYS[1] and return its value.
BODY="return redis.call('GET', KEYS[1])"

P_REDIS=$BASE
P_FENCEKV=$((BASE + 1))
redis-server --port "$P_REDIS" --save '' --appendonly no --dir "$work" \
    --logfile "$work/redis.log" &
pids+=($!)
"$FENCEKV_BIN" serve --port "$P_FENCEKV" --dir "$work/fencekv" --log-level warn \
    >"$work/fencekv.log" 2>&1 &
pids+=($!)
wait_port "$P_REDIS"
wait_port "$P_FENCEKV"

declare -A SHA
for name in redis fencekv; do
    port=P_${name^^}
    redis-cli -p "${!port}" set key value >/dev/null
    SHA[$name]=$(redis-cli -p "${!port}" script load "$BODY")
    reply=$(redis-cli -p "${!port}" evalsha "${SHA[$name]}" 1 key)
    [[ $reply == value ]] || { echo "$name: EVALSHA answered '$reply'" >&2; exit 1; }
done

# evalsha <name> <port> <pipeline>: requests/s into RPS[name,pipe]
evalsha() {
    local name=$1 port=$2 pipe=$3
    RPS["$name,$pipe"]=$(redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -P "$pipe" -q --csv \
        EVALSHA "${SHA[$name]}" 1 key 2>/dev/null | tr -d '"' | awk -F, 'END { print $2 }')
}
for pipe in 1 16; do
    evalsha redis "$P_REDIS" "$pipe"
    evalsha fencekv "$P_FENCEKV" "$pipe"
done

echo
echo "redis-benchmark -c $CLIENTS -n $N EVALSHA <sha> 1 key; script: $BODY" \
    "($(nproc) cores; redis-server $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p'))"
echo
echo "| -P | redis (no persistence) | fencekv single node | fencekv / redis |"
echo "|---|---|---|---|"
for pipe in 1 16; do
    r=${RPS["redis,$pipe"]:-0}
    f=${RPS["fencekv,$pipe"]:-0}
    echo "| $pipe | $r | $f | $(ratio "$f" "$r") |"
done
