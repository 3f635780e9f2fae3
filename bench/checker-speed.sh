#!/usr/bin/env bash
# Checker speed, side by side, in one run on one machine with one thread
# count: `fencekv check model/crash-two-candidates.toml` (release build, DFS) against
# stateright 0.31.0's own `paxos` example (`check-dfs`, built from the
# crate's sources). Prints unique states, seconds (wall clock, measured here
# the same way for both), unique states/s and the fencekv/paxos ratio, and
# the same per CPU second, with the load average around the runs.
#
# The example takes its thread count from num_cpus; a copy of the crate has
# that one call patched to read PAXOS_THREADS, so both use $THREADS.
#
# Usage: bench/checker-speed.sh
#   THREADS=2 PAXOS_CLIENTS=5 CONFIG=model/crash-two-candidates.toml bench/checker-speed.sh
set -euo pipefail

THREADS=${THREADS:-2}
# 5 clients on the default unordered network: ~4.7 M unique states, ~50 s on
# 2 cores (3 clients take ~8 s, 4 ~23 s).
PAXOS_CLIENTS=${PAXOS_CLIENTS:-5}
# A config of about the same size: 4.6 M unique states.
CONFIG=${CONFIG:-model/crash-two-candidates.toml}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d -t fencekv-checker-speed.XXXXXX)
trap 'rm -rf "$work"' EXIT

(cd "$root" && cargo build --release --quiet --bin fencekv)
# A copy: another checkout building into the same target directory could
# replace the binary between this build and the run.
cp "$target/release/fencekv" "$work/fencekv-bin"
fencekv=$work/fencekv-bin

# The example, from a copy of the exact crate fencekv depends on (fetched by
# the build above). The copy lives beside the build outputs and is made once,
# so later runs do not rebuild stateright.
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/stateright-0.31.0 2>/dev/null | head -n 1)
[[ -n "$src" ]] || { echo "stateright-0.31.0 sources not found under ~/.cargo/registry/src" >&2; exit 1; }
copy=$target/checker-speed/stateright-0.31.0
if [[ ! -d "$copy" ]]; then
    mkdir -p "$(dirname "$copy")"
    cp -rp "$src" "$copy.tmp"
    sed -i 's/\.threads(num_cpus::get())/.threads(std::env::var("PAXOS_THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or_else(num_cpus::get))/' \
        "$copy.tmp/examples/paxos.rs"
    grep -q PAXOS_THREADS "$copy.tmp/examples/paxos.rs" || { echo "could not patch paxos.rs" >&2; exit 1; }
    mv "$copy.tmp" "$copy"
fi
# Its own warnings (newer rustc lints) are noise here: shown only on failure.
if ! (cd "$copy" && CARGO_TARGET_DIR=$target cargo build --release --quiet --example paxos) 2>"$work/paxos-build.log"; then
    cat "$work/paxos-build.log" >&2
    exit 1
fi
paxos=$target/release/examples/paxos

# timed <file> <cmd>...: run cmd with stdout+stderr in <file>.out and its
# wall, user and system seconds in <file>.time. CPU seconds are printed too:
# the machine may be shared, and CPU time is less sensitive to that.
timed() {
    local file=$1
    shift
    local TIMEFORMAT='%R %U %S'
    { time "$@" >"$file.out" 2>&1; } 2>"$file.time"
}
wall() { awk '{ printf "%.1f", $1 }' "$1.time"; }
cpu() { awk '{ printf "%.1f", $2 + $3 }' "$1.time"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

load_before=$(load)

# paxos: the last "Done. states=…, unique=N, …" line. (Its reporter checks
# for the end once a second, so its wall time is up to a second long.)
PAXOS_THREADS=$THREADS timed "$work/paxos" "$paxos" check-dfs "$PAXOS_CLIENTS" ||
    { echo "paxos failed:" >&2; tail "$work/paxos.out" >&2; exit 1; }
paxos_unique=$(sed -n 's/^Done\. states=[0-9]*, unique=\([0-9]*\),.*/\1/p' "$work/paxos.out" | tail -n 1)
[[ -n "$paxos_unique" ]] || { echo "no Done line from paxos:" >&2; tail "$work/paxos.out" >&2; exit 1; }

# fencekv: the first report line, "NAME: pass (expected pass) — N unique states, …";
# anything but a finished pass is an error (the numbers would not compare).
if ! (cd "$root" && timed "$work/fencekv" "$fencekv" check "$CONFIG" --threads "$THREADS"); then
    echo "fencekv check $CONFIG did not pass:" >&2
    cat "$work/fencekv.out" >&2
    exit 1
fi
fencekv_unique=$(grep -m 1 ' unique states, ' "$work/fencekv.out" | sed -n 's/.* — \([0-9]*\) unique states,.*/\1/p')
[[ -n "$fencekv_unique" ]] || { echo "no report line from fencekv:" >&2; cat "$work/fencekv.out" >&2; exit 1; }

load_after=$(load)

per() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
group() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
f_wall=$(wall "$work/fencekv") f_cpu=$(cpu "$work/fencekv")
p_wall=$(wall "$work/paxos") p_cpu=$(cpu "$work/paxos")
f_rate=$(per "$fencekv_unique" "$f_wall") f_cpu_rate=$(per "$fencekv_unique" "$f_cpu")
p_rate=$(per "$paxos_unique" "$p_wall") p_cpu_rate=$(per "$paxos_unique" "$p_cpu")

echo
echo "checker speed: $THREADS threads, DFS, one script run on $(nproc) cores"
echo "(load average before $load_before, after $load_after)"
echo
echo "| config | unique states | seconds | unique/s | ratio | CPU s | unique/CPU s | ratio (CPU) |"
echo "|---|---|---|---|---|---|---|---|"
echo "| \`fencekv check $CONFIG --threads $THREADS\` | $(group "$fencekv_unique") | $f_wall | $(group "$f_rate") | $(ratio "$f_rate" "$p_rate") | $f_cpu | $(group "$f_cpu_rate") | $(ratio "$f_cpu_rate" "$p_cpu_rate") |"
echo "| stateright 0.31.0 \`paxos check-dfs $PAXOS_CLIENTS\` ($THREADS threads) | $(group "$paxos_unique") | $p_wall | $(group "$p_rate") | 1.00 | $p_cpu | $(group "$p_cpu_rate") | 1.00 |"
