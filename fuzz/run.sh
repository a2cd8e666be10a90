#!/usr/bin/env bash
# run.sh - run every fuzz target for a bounded number of inputs.
#
# Usage: fuzz/run.sh BUILD_DIR [NAME...]
#
# BUILD_DIR is a build directory configured with CC=clang --enable-fuzz
# and built (make). Each target BUILD_DIR/fuzz/fuzz_NAME, one per seed
# corpus fuzz/corpus/NAME (or only the NAMEs given), runs FUZZ_RUNS
# inputs (libFuzzer's -runs: a count, so pass or fail never depends on
# the machine's speed), starting from a copy of its corpus in a
# temporary directory: the inputs it finds go there, never into the
# tree, and the copy is removed afterwards. The seed is fixed
# (FUZZ_SEED, default 1), so a run is repeatable; FUZZ_SEED=0 lets
# libFuzzer pick one.
#
# A target fails on a crash, a sanitizer report (ASan, UBSan, leaks), a
# failed FUZZ_CHECK, an exit, or one input running longer than
# FUZZ_TIMEOUT seconds (default 300: a hang, not a slow machine). Each
# target's log is kept in BUILD_DIR/fuzz-out/NAME/log, and after a
# failure the input that did it beside it; reproduce with:
#	BUILD_DIR/fuzz/fuzz_NAME BUILD_DIR/fuzz-out/NAME/crash-...
#
# Environment: FUZZ_RUNS (default 20000), FUZZ_SEED (default 1),
# FUZZ_TIMEOUT (default 300), FUZZ_ARGS (more libFuzzer options).
# Prints one line per target, then "fuzz: N passed, N failed" (one case
# per target); the exit status is non-zero if any target failed.
set -u

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 BUILD_DIR [NAME...]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
shift
corpus_top=$(cd "$(dirname "$0")" && pwd)/corpus
runs=${FUZZ_RUNS:-20000}
seed=${FUZZ_SEED:-1}
timeout=${FUZZ_TIMEOUT:-300}

if [ $# -gt 0 ]; then
    names="$*"
else
    names=""
    for dir in "$corpus_top"/*/; do
        names="$names $(basename "$dir")"
    done
fi

# UBSan reports are fatal (-fno-sanitize-recover); show where they are.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/postern-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
for name in $names; do
    bin=$build/fuzz/fuzz_$name
    out=$build/fuzz-out/$name
    work=$tmp/$name
    rm -rf "$out"
    if [ ! -x "$bin" ] || [ ! -d "$corpus_top/$name" ]; then
        echo "fuzz: $name: FAILED (no program $bin or no corpus $corpus_top/$name)"
        failed=$((failed + 1))
        continue
    fi
    mkdir -p "$work/corpus" "$work/artifacts"
    cp -- "$corpus_top/$name"/* "$work/corpus/"
    chmod -R u+w "$work"
    # From inside the work directory: anything libFuzzer writes lands there.
    # shellcheck disable=SC2086
    (cd "$work" && "$bin" -runs="$runs" -seed="$seed" -timeout="$timeout" \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
        ${FUZZ_ARGS:-} corpus >log 2>&1)
    status=$?
    mkdir -p "$out"
    cp -- "$work/log" "$out/log"
    if [ "$status" = 0 ] && [ -z "$(ls -A "$work/artifacts")" ]; then
        done=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$work/log" | sed -E 's/^Done ([0-9]+) runs in ([0-9]+) .*/\1 runs, \2 s/')
        cov=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/log" | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/')
        echo "fuzz: $name: ok (${done:-? runs}, ${cov:-no stats})"
        passed=$((passed + 1))
    else
        cp -- "$work/artifacts"/* "$out/" 2>/dev/null
        echo "fuzz: $name: FAILED (exit $status); log and reproducer in $out"
        grep -E 'ERROR|SUMMARY|panic|check failed|runtime error' "$work/log" | head -n 5 | sed 's/^/    /'
        failed=$((failed + 1))
    fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
