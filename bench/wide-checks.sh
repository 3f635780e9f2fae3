#!/usr/bin/env bash
# The wide exhaustive checks: each config in turn with `fencekv check`,
# stopped after LIMIT seconds (default 600), and a table of verdict, unique
# states, seconds and unique/s. Too long for the default test run; the same
# configs run as tests (base-three-terms only with FENCEKV_WIDE_CHECKS=1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
threads=${THREADS:-2}
limit=${LIMIT:-600}
(cd "$root" && cargo build --release --quiet --bin fencekv)
bin=$root/target/release/fencekv
configs=${CONFIGS:-"loss-two-candidates crash-two-candidates unordered-two-candidates base-three-terms"}
printf '| config | verdict | unique states | seconds | unique/s |\n|---|---|---|---|---|\n'
for c in $configs; do
    out=$("$bin" check "$root/model/$c.toml" --threads "$threads" --timeout "$limit" 2>/dev/null || true)
    verdict=$(awk '$1 == "verdict" { $1 = ""; sub(/^ /, ""); print }' <<<"$out")
    unique=$(awk '$1 == "unique" && $2 == "states" { print $3 }' <<<"$out")
    secs=$(awk '$1 == "elapsed" { print $2 }' <<<"$out")
    rate=$(awk '$1 == "unique/s" { print $2 }' <<<"$out")
    printf '| `%s.toml` | %s | %s | %s | %s |\n' "$c" "$verdict" "$unique" "$secs" "$rate"
done
