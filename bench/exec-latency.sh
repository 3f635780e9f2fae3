#!/usr/bin/env bash
# MULTI/EXEC latency against the number of GETs queued in it, beside the
# same GETs in one EVAL, on a 3-node loopback cluster whose peers are $DELAY
# ms apart (--peer-delay-ms): start the cluster, wait for a leader, run
# examples/script_latency.rs with --form eval and then --form exec (one
# client, sequential requests after a warm-up), stop the cluster, print a
# markdown table and each form's 15-GET / 1-GET ratio.
#
# The claim checked: an EXEC passes one fence however many reads it
# queues, so its latency is flat in the number of GETs, like an EVAL's.
#
# Usage: bench/exec-latency.sh
#   DELAY=2 GETS=1,3,7,15 ITERATIONS=200 bench/exec-latency.sh
set -euo pipefail

DELAY=${DELAY:-2}
GETS=${GETS:-1,3,7,15}
ITERATIONS=${ITERATIONS:-200}
WARMUP=${WARMUP:-20}
BASE=${BASE:-7860}
ELECTION_MS=${ELECTION_MS:-$((DELAY * 10 > 300 ? DELAY * 10 : 300))}
HEARTBEAT_MS=${HEARTBEAT_MS:-$((DELAY * 2 > 50 ? DELAY * 2 : 50))}

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo build --release --quiet --bin fencekv &&
    cargo build --release --quiet --example script_latency)
FENCEKV_BIN=${FENCEKV_BIN:-$target/release/fencekv}
latency=$target/release/examples/script_latency

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

peers="1=127.0.0.1:$((BASE + 10)),2=127.0.0.1:$((BASE + 11)),3=127.0.0.1:$((BASE + 12))"
csv=$work/latency.csv
for i in 1 2 3; do
    "$FENCEKV_BIN" serve --id "$i" --peers "$peers" --cluster-secret-file "$SECRET" --port $((BASE + i - 1)) \
        --dir "$work/node$i" --log-level warn --peer-delay-ms "$DELAY" \
        --election-timeout-ms "$ELECTION_MS" --heartbeat-ms "$HEARTBEAT_MS" \
        >"$work/node$i.log" 2>&1 &
    pids+=($!)
done
for i in 0 1 2; do wait_port $((BASE + i)); done
leader=$(find_leader "$BASE" $((BASE + 1)) $((BASE + 2)))

for form in eval exec; do
    echo
    "$latency" --port "$leader" --form "$form" --mode "$form" --delay-ms "$DELAY" \
        --gets "$GETS" --iterations "$ITERATIONS" --warmup "$WARMUP" --out "$csv"
done
redis-cli -p "$leader" info fencekv | tr -d '\r' | grep -q '^role:leader' ||
    echo "warning: port $leader lost leadership during the run" >&2

declare -A MED FPR
while IFS=, read -r form gets median _ _ fences _; do
    MED["$form,$gets"]=$median
    FPR["$form,$gets"]=$fences
done < <(tail -n +2 "$csv")
IFS=, read -ra counts <<<"$GETS"
first=${counts[0]}
last=${counts[${#counts[@]} - 1]}

echo
echo "EVAL vs MULTI/EXEC latency, 3-node loopback cluster, --peer-delay-ms $DELAY, one client, $ITERATIONS requests per row after $WARMUP warm-up ($(nproc) cores)"
echo
echo "| gets | EVAL median ms | EXEC median ms | EVAL fences/request | EXEC fences/request |"
echo "|---|---|---|---|---|"
for g in "${counts[@]}"; do
    echo "| $g | ${MED["eval,$g"]} | ${MED["exec,$g"]} | ${FPR["eval,$g"]} | ${FPR["exec,$g"]} |"
done
echo
for form in eval exec; do
    echo "$form: $last-GET / $first-GET = $(ratio "${MED["$form,$last"]}" "${MED["$form,$first"]}")"
done
