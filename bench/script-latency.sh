#!/usr/bin/env bash
# The headline measurement: EVAL latency against the number of GET calls in
# the script, on a 3-node loopback cluster whose peers are $DELAY ms apart
# (--peer-delay-ms), once with the default read fence (one per script) and
# once with --unsafe-read-fence per-call (one per redis.call read, the old
# behaviour). For each mode: start the cluster, wait for a leader, run
# examples/script_latency.rs against it (one client, sequential EVALs after a
# warm-up), read the leader's INFO fencekv, stop the cluster. Then print a
# markdown table, the 15-GET / 1-GET ratio of each mode, and plot the medians
# to bench/script-latency.png.
#
# The claim checked: under `once` a 15-GET script costs at most 1.2x a 1-GET
# script; under `per-call` the cost grows with the number of calls.
#
# Usage: bench/script-latency.sh
#   DELAY=2 GETS=1,3,7,15 ITERATIONS=200 bench/script-latency.sh
#   (PNG=path to plot elsewhere)
set -euo pipefail

DELAY=${DELAY:-2}
GETS=${GETS:-1,3,7,15}
ITERATIONS=${ITERATIONS:-200}
WARMUP=${WARMUP:-20}
BASE=${BASE:-7840}
# A fence is a heartbeat round (2 x DELAY); elections must not fire meanwhile.
ELECTION_MS=${ELECTION_MS:-$((DELAY * 10 > 300 ? DELAY * 10 : 300))}
HEARTBEAT_MS=${HEARTBEAT_MS:-$((DELAY * 2 > 50 ? DELAY * 2 : 50))}

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
PNG=${PNG:-$root/bench/script-latency.png}
# Two builds: the server alone (as common.sh and the other benchmarks build
# it, without the dev-dependencies' features), then the example.
(cd "$root" && cargo build --release --quiet --bin fencekv &&
    cargo build --release --quiet --example script_latency)
FENCEKV_BIN=${FENCEKV_BIN:-$target/release/fencekv}
latency=$target/release/examples/script_latency

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

peers="1=127.0.0.1:$((BASE + 10)),2=127.0.0.1:$((BASE + 11)),3=127.0.0.1:$((BASE + 12))"
csv=$work/latency.csv
declare -A FPS # the leader's INFO script_fences_per_script after each mode's run

for mode in once per-call; do
    for i in 1 2 3; do
        "$FENCEKV_BIN" serve --id "$i" --peers "$peers" --cluster-secret-file "$SECRET" --port $((BASE + i - 1)) \
            --dir "$work/$mode/node$i" --log-level warn --peer-delay-ms "$DELAY" \
            --election-timeout-ms "$ELECTION_MS" --heartbeat-ms "$HEARTBEAT_MS" \
            --unsafe-read-fence "$mode" >"$work/$mode-node$i.log" 2>&1 &
        pids+=($!)
    done
    for i in 0 1 2; do wait_port $((BASE + i)); done

    leader=$(find_leader "$BASE" $((BASE + 1)) $((BASE + 2)))

    echo
    "$latency" --port "$leader" --mode "$mode" --delay-ms "$DELAY" \
        --gets "$GETS" --iterations "$ITERATIONS" --warmup "$WARMUP" --out "$csv"

    info=$(redis-cli -p "$leader" info fencekv | tr -d '\r')
    grep -q '^role:leader' <<<"$info" || echo "warning: port $leader lost leadership during the $mode run" >&2
    FPS[$mode]=$(sed -n 's/^script_fences_per_script://p' <<<"$info")

    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
done

# median and fences/script per (mode, gets) from the example's CSV
declare -A MED FPR
while IFS=, read -r mode gets median _ _ fences _; do
    MED["$mode,$gets"]=$median
    FPR["$mode,$gets"]=$fences
done < <(tail -n +2 "$csv")

IFS=, read -ra counts <<<"$GETS"
first=${counts[0]}
last=${counts[${#counts[@]} - 1]}

echo
echo "EVAL latency, 3-node loopback cluster, --peer-delay-ms $DELAY, one client, $ITERATIONS EVALs per row after $WARMUP warm-up ($(nproc) cores)"
echo
echo "| gets | once median ms | per-call median ms | once fences/script | per-call fences/script |"
echo "|---|---|---|---|---|"
for g in "${counts[@]}"; do
    echo "| $g | ${MED["once,$g"]} | ${MED["per-call,$g"]} | ${FPR["once,$g"]} | ${FPR["per-call,$g"]} |"
done
echo
echo "fences/script per row: the leader's script_fences / scripts_run over that row's timed EVALs."
echo "INFO script_fences_per_script after each run (all rows and warm-ups): once ${FPS[once]}, per-call ${FPS[per-call]}"
echo
for mode in once per-call; do
    echo "$mode: $last-GET / $first-GET = $(ratio "${MED["$mode,$last"]}" "${MED["$mode,$first"]}")"
done
echo

"$latency" --plot "$csv" --png "$PNG"
