#!/usr/bin/env bash
# Reads under the three read modes (--read-mode fence | lease | follower) on a
# 3-node loopback cluster whose peers are $DELAY ms apart (--peer-delay-ms),
# against a lone node (no peers, no delay) as the baseline.
#
# Latency: for each mode start the cluster, wait for a leader, run
# examples/read_latency.rs (one client, sequential requests after a warm-up:
# GET k0, and an EVAL_RO whose script GETs k0..k6) at the leader under fence
# and lease, at a follower under follower; check the node's INFO fencekv
# counters moved as the mode says (lease_reads at the lease leader,
# follower_reads at the follower), stop the cluster. Then the lone node.
# Throughput (in the same clusters, at the first delay only): redis-benchmark
# GET -P 16 with 50 clients through the leader under fence and under lease,
# and spread over all three nodes (three redis-benchmarks at once, one per
# node, 17 clients and N/3 requests each, requests/s summed) under follower
# (followers serve locally) and under fence (followers forward to the leader).
# Then print markdown tables, the lease / single GET median ratio, and plot
# the latencies to bench/read-modes.png.
#
# The claims checked: a lease read costs about what a lone node's read does
# (GET median within 1.5x of the single node's), whatever the peer delay; a
# fenced read costs a heartbeat round (about 2 x DELAY); a follower read costs
# a read-index round trip to the leader; follower reads spread the read load.
#
# Usage: bench/read-modes.sh
#   DELAY=2 N=100000 ITERATIONS=500 bench/read-modes.sh
#   DELAYS=2,10 bench/read-modes.sh   (latency at each delay, throughput at the first)
#   (PNG=path to plot elsewhere)
set -euo pipefail

DELAYS=${DELAYS:-${DELAY:-2}}
N=${N:-100000}
ITERATIONS=${ITERATIONS:-500}
WARMUP=${WARMUP:-50}
BASE=${BASE:-7860}

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
PNG=${PNG:-$root/bench/read-modes.png}
# One build of the server and the example together (nice: it is long and the
# benchmark machines are small).
(cd "$root" && nice cargo build --release --quiet --bin fencekv --example read_latency)
FENCEKV_BIN=${FENCEKV_BIN:-$target/release/fencekv}
latency=$target/release/examples/read_latency

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

IFS=, read -ra delays <<<"$DELAYS"
tput_delay=${delays[0]}
peers="1=127.0.0.1:$((BASE + 10)),2=127.0.0.1:$((BASE + 11)),3=127.0.0.1:$((BASE + 12))"
ports=("$BASE" $((BASE + 1)) $((BASE + 2)))
csv=$work/latency.csv
declare -A TPUT # requests/s per throughput setup
declare -A TPUT_NODES # the three per-node figures of a spread run

# counter <port> <name>: one INFO fencekv field of the node on port.
counter() { redis-cli -p "$1" info fencekv | tr -d '\r' | sed -n "s/^$2://p"; }
warn() { echo "warning: $*" >&2; }

stop_all() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
}

# bench_rps <port> <clients> <requests>: GET requests/s from redis-benchmark's CSV.
bench_rps() {
    redis-benchmark -p "$1" -t get -c "$2" -n "$3" -P 16 -q --csv 2>/dev/null |
        tr -d '"' | awk -F, '$1 == "GET" { print $2 }'
}

# spread <name>: three redis-benchmarks at once, one per node; sums into TPUT.
spread() {
    local name=$1 i
    local bpids=()
    for i in 0 1 2; do
        bench_rps "${ports[$i]}" 17 $((N / 3)) >"$work/spread$i" &
        bpids+=($!)
    done
    for p in "${bpids[@]}"; do wait "$p"; done
    TPUT[$name]=$(cat "$work"/spread{0,1,2} | awk '{ s += $1 } END { printf "%.0f", s }')
    TPUT_NODES[$name]=$(cat "$work"/spread{0,1,2} | awk '{ printf "%s%.0f", (NR > 1 ? " + " : ""), $1 }')
}

for delay in "${delays[@]}"; do
    # A fence is a heartbeat round (2 x delay); elections must not fire meanwhile.
    election_ms=${ELECTION_MS:-$((delay * 10 > 300 ? delay * 10 : 300))}
    heartbeat_ms=${HEARTBEAT_MS:-$((delay * 2 > 50 ? delay * 2 : 50))}
    for mode in fence lease follower; do
        for i in 1 2 3; do
            "$FENCEKV_BIN" serve --id "$i" --peers "$peers" --cluster-secret-file "$SECRET" --port $((BASE + i - 1)) \
                --dir "$work/$mode-$delay/node$i" --log-level warn --peer-delay-ms "$delay" \
                --election-timeout-ms "$election_ms" --heartbeat-ms "$heartbeat_ms" \
                --read-mode "$mode" >"$work/$mode-$delay-node$i.log" 2>&1 &
            pids+=($!)
        done
        for p in "${ports[@]}"; do wait_port "$p"; done

        leader=$(find_leader "${ports[@]}")
        follower=
        for p in "${ports[@]}"; do [[ $p != "$leader" ]] && { follower=$p; break; }; done
        if [[ $mode == follower ]]; then at=$follower who=follower; else at=$leader who=leader; fi

        echo
        "$latency" --port "$at" --leader-port "$leader" --mode "$mode" --target "$who" \
            --delay-ms "$delay" --iterations "$ITERATIONS" --warmup "$WARMUP" --out "$csv"

        [[ $(counter "$leader" role) == leader ]] || warn "port $leader lost leadership during the $mode run (delay $delay)"
        lease=$(counter "$at" lease_reads) fol=$(counter "$at" follower_reads) fenced=$(counter "$at" fenced_reads)
        echo "INFO fencekv at $who port $at: lease_reads $lease, follower_reads $fol, fenced_reads $fenced"
        case $mode in
        fence) [[ $lease == 0 && $fenced -gt 0 ]] || warn "fence mode: expected fenced reads only at the leader" ;;
        lease) [[ $lease -gt 0 ]] || warn "lease mode: lease_reads did not move at the leader" ;;
        follower) [[ $fol -gt 0 ]] || warn "follower mode: follower_reads did not move at the follower" ;;
        esac

        if [[ $delay == "$tput_delay" ]]; then
            if [[ $mode != follower ]]; then
                TPUT["leader,$mode"]=$(bench_rps "$leader" 50 "$N")
            fi
            if [[ $mode != lease ]]; then
                declare -A before=()
                for p in "${ports[@]}"; do before[$p]=$(counter "$p" follower_reads); done
                spread "spread,$mode"
                for p in "${ports[@]}"; do
                    [[ $p == "$leader" ]] && continue
                    moved=$(($(counter "$p" follower_reads) - ${before[$p]}))
                    if [[ $mode == follower && $moved -eq 0 ]]; then
                        warn "follower mode: follower on port $p served no reads itself in the spread run"
                    elif [[ $mode == fence && $moved -ne 0 ]]; then
                        warn "fence mode: follower on port $p served $moved reads itself"
                    fi
                done
            fi
            [[ $(counter "$leader" role) == leader ]] || warn "port $leader lost leadership during the $mode throughput runs"
        fi
        stop_all
    done
done

single=$((BASE + 3))
"$FENCEKV_BIN" serve --port "$single" --dir "$work/single" --log-level warn >"$work/single.log" 2>&1 &
pids+=($!)
wait_port "$single"
echo
"$latency" --port "$single" --leader-port "$single" --mode single --target single \
    --delay-ms 0 --iterations "$ITERATIONS" --warmup "$WARMUP" --out "$csv"
stop_all

# median and p99 per (mode, op, delay) from the example's CSV
declare -A MED P99
while IFS=, read -r mode _ op median p99 delay; do
    MED["$mode,$op,$delay"]=$median
    P99["$mode,$op,$delay"]=$p99
done < <(tail -n +2 "$csv")
base=${MED["single,get,0"]}

echo
echo "Read latency, 3-node loopback cluster, --peer-delay-ms $DELAYS, one client, $ITERATIONS requests per read after $WARMUP warm-up ($(nproc) cores)"
echo
echo "| mode | peer delay ms | measured at | GET median ms | GET p99 ms | EVAL_RO 7 GETs median ms | EVAL_RO 7 GETs p99 ms | GET median / single |"
echo "|---|---|---|---|---|---|---|---|"
for delay in "${delays[@]}"; do
    for mode in fence lease follower; do
        if [[ $mode == follower ]]; then who=follower; else who=leader; fi
        k=$mode,get,$delay e=$mode,eval7,$delay
        echo "| $mode | $delay | $who | ${MED[$k]} | ${P99[$k]} | ${MED[$e]} | ${P99[$e]} | $(ratio "${MED[$k]}" "$base") |"
    done
done
echo "| single | - | single node | $base | ${P99["single,get,0"]} | ${MED["single,eval7,0"]} | ${P99["single,eval7,0"]} | 1.00 |"
echo
for delay in "${delays[@]}"; do
    echo "lease GET median / single GET median (peer delay $delay ms) = $(ratio "${MED["lease,get,$delay"]}" "$base") (target: at most 1.5)"
done
echo
echo "GET throughput, redis-benchmark -P 16, N=$N, peer delay $tput_delay ms"
echo
echo "| setup | requests/s |"
echo "|---|---|"
echo "| fence, through the leader (50 clients) | ${TPUT["leader,fence"]} |"
echo "| lease, through the leader (50 clients) | ${TPUT["leader,lease"]} |"
echo "| follower, spread over 3 nodes (3 x 17 clients) | ${TPUT["spread,follower"]} (${TPUT_NODES["spread,follower"]}) |"
echo "| fence, spread over 3 nodes (3 x 17 clients; followers forward) | ${TPUT["spread,fence"]} (${TPUT_NODES["spread,fence"]}) |"
echo

"$latency" --plot "$csv" --png "$PNG"
