# Shared by the benchmark scripts (sourced, not run): build fencekv, check the
# Redis tools, a work directory cleaned up on exit with every started server,
# waiting for a port, running redis-benchmark into RPS[name,pipe,test], ratios.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z "${FENCEKV_BIN:-}" ]]; then
    (cd "$root" && cargo build --release --quiet)
    FENCEKV_BIN=$root/target/release/fencekv
fi
for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install redis-server)" >&2; exit 1; }
done

work=$(mktemp -d -t fencekv-bench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# The secret every cluster node of a benchmark shares (--cluster-secret-file).
SECRET=$work/cluster-secret
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SECRET"
chmod 600 "$SECRET"

wait_port() {
    for _ in $(seq 1 200); do
        redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "server on port $1 did not start" >&2
    exit 1
}

# run <name> <port> <pipeline>: requests/s per test from redis-benchmark's CSV
# (the tests of $TESTS, set,get unless the script sets it).
declare -A RPS
run() {
    local name=$1 port=$2 pipe=$3
    redis-benchmark -p "$port" -t "${TESTS:-set,get}" -c "$CLIENTS" -n "$N" -P "$pipe" -q --csv 2>/dev/null |
        tr -d '"' | awk -F, 'NR > 1 && $1 !~ /needed to benchmark/ { split($1, name, " "); print name[1], $2 }' >"$work/out"
    while read -r test rps; do
        RPS["$name,$pipe,$test"]=$rps
    done <"$work/out"
}

# find_leader <port>...: print the client port of the node whose INFO says it
# leads (waiting up to 20 s), or fail.
find_leader() {
    for _ in $(seq 1 200); do
        for p in "$@"; do
            if redis-cli -p "$p" info fencekv 2>/dev/null | grep -q '^role:leader'; then
                echo "$p"
                return 0
            fi
        done
        sleep 0.1
    done
    echo "no leader elected among ports $*" >&2
    exit 1
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
