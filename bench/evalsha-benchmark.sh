#!/usr/bin/env bash
# EVALSHA and FCALL throughput, redis-server (no persistence) beside a single
# fencekv node (--appendfsync everysec), in one run: SCRIPT LOAD a one-GET
# script and FUNCTION LOAD the same body as function `get1`, on both, then
# `redis-benchmark -c $CLIENTS -n $N -P 1 EVALSHA <sha> 1 key` and `FCALL
# get1 1 key`, and the same at -P 16, on both. Prints a markdown table with
# requests/s and the ratio fencekv / redis (target: at least 0.5). Both
# servers and redis-benchmark share the machine's cores.
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
LIBRARY='#!lua name=bench
redis.register_function("get1", function(keys) return redis.call("GET", keys[1]) end)'

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
    redis-cli -p "${!port}" function load replace "$LIBRARY" >/dev/null
    reply=$(redis-cli -p "${!port}" fcall get1 1 key)
    [[ $reply == value ]] || { echo "$name: FCALL answered '$reply'" >&2; exit 1; }
done

# call <name> <port> <pipeline> <form>: requests/s into RPS[name,pipe,form]
call() {
    local name=$1 port=$2 pipe=$3 form=$4
    local -a cmd=(FCALL get1 1 key)
    [[ $form == evalsha ]] && cmd=(EVALSHA "${SHA[$name]}" 1 key)
    RPS["$name,$pipe,$form"]=$(redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -P "$pipe" -q --csv \
        "${cmd[@]}" 2>/dev/null | tr -d '"' | awk -F, 'END { print $2 }')
}
for pipe in 1 16; do
    for form in evalsha fcall; do
        call redis "$P_REDIS" "$pipe" "$form"
        call fencekv "$P_FENCEKV" "$pipe" "$form"
    done
done

echo
echo "redis-benchmark -c $CLIENTS -n $N EVALSHA <sha> 1 key | FCALL get1 1 key; script: $BODY" \
    "($(nproc) cores; redis-server $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p'))"
echo
echo "| command | -P | redis (no persistence) | fencekv single node | fencekv / redis |"
echo "|---|---|---|---|---|"
for pipe in 1 16; do
    for form in evalsha fcall; do
        r=${RPS["redis,$pipe,$form"]:-0}
        f=${RPS["fencekv,$pipe,$form"]:-0}
        echo "| ${form^^} | $pipe | $r | $f | $(ratio "$f" "$r") |"
    done
done
