#!/usr/bin/env bash
# Runs every fuzz target of a HERALD_FUZZ build over its checked-in corpus.
#   scripts/fuzz.sh BUILD_DIR -runs=20000          bounded: what `make test` runs
#   scripts/fuzz.sh BUILD_DIR -max_total_time=600  long: `make fuzz`; new inputs are kept in
#                                                  BUILD_DIR/corpus/<target> for review
# Exits non-zero on the first target that crashes, leaks or trips a sanitizer; libFuzzer saves
# the input as BUILD_DIR/crash-* (reproduce: BUILD_DIR/<target> BUILD_DIR/crash-...).
set -euo pipefail

build="$1"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
status=0
for target in "$build"/fuzz_*; do
    [ -x "$target" ] || continue
    name="$(basename "$target")"
    found="$build/corpus/$name"
    mkdir -p "$found"
    echo "fuzz: $name $*"
    # The first corpus directory receives new inputs; the checked-in one is only read.
    if ! "$target" "$@" -max_len=8192 -rss_limit_mb=2048 -artifact_prefix="$build/" \
            -print_final_stats=1 "$found" "$root/tests/fuzz/corpus/$name" \
            > "$build/$name.log" 2>&1; then
        tail -n 40 "$build/$name.log"
        echo "fuzz: $name FAILED (log: $build/$name.log)"
        status=1
    else
        grep -E '^stat::number_of_executed_units' "$build/$name.log" | sed "s/^/fuzz: $name /"
    fi
done
exit $status
