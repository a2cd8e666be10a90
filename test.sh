#!/usr/bin/env bash
# test.sh - build Postern from a clean tree and run the whole test suite.
#
# On a fresh Debian 12 machine this installs what is missing
# (tools/install-deps.sh: apt-get, Debian packages only; as root also
# Debian's postfix, the peer of the mixed-mode tests), then:
#   1. autoreconf, configure (-Wall -Wextra -Werror), make, make check;
#   2. the same suite again built with --enable-sanitizers (ASan + UBSan);
#   3. make distcheck;
#   4. the libFuzzer targets (CC=clang --enable-fuzz), each for a fixed
#      number of inputs with a fixed seed (fuzz/run.sh), one check each.
# Every test program (CUnit suites, Python system tests) prints
# "<program>: N passed, N failed[, N skipped]"; this script adds them up.
# Steps 2 and 3 count as one check each, step 4 one per fuzz target. The last line is "N passed,
# N failed" (", N skipped" when tests could not run here, e.g. mixed mode
# without root); the exit status is non-zero on any failure.
#
# Options: --quick  skip steps 2, 3 and 4.
set -u
cd "$(dirname "$0")"
top=$(pwd)
quick=no
[ "${1:-}" = "--quick" ] && quick=yes

passed=0
failed=0
skipped=0
jobs=$(nproc 2>/dev/null || echo 2)

# Add up the per-program counts of one build directory's test logs.
count_results() {
    local dir=$1 trs log line p f
    for trs in $(find "$dir/tests" -name '*.trs' 2>/dev/null | sort); do
        log=${trs%.trs}.log
        line=$(grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" 2>/dev/null | tail -n 1)
        if [ -n "$line" ]; then
            p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
            f=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) failed.*/\1/')
            case "$line" in
            *skipped) skipped=$((skipped + $(echo "$line" | sed -E 's/.*failed, ([0-9]+) skipped/\1/'))) ;;
            esac
            if grep -q ':test-result: FAIL\|:test-result: ERROR' "$trs" && [ "$f" = 0 ]; then
                f=1 # crashed after printing, or exited non-zero
            fi
        elif grep -q ':test-result: PASS' "$trs"; then
            p=1 f=0
        else
            p=0 f=1
            echo "test.sh: $(basename "$log" .log) produced no result line" >&2
        fi
        passed=$((passed + p))
        failed=$((failed + f))
    done
}

show_failures() {
    local dir=$1 trs
    for trs in $(grep -l ':test-result: \(FAIL\|ERROR\)' $(find "$dir/tests" -name '*.trs') 2>/dev/null); do
        echo "---- ${trs%.trs}.log"
        grep -v -- '...passed$' "${trs%.trs}.log" | tail -n 40
    done
}

build() {
    local dir=$1; shift
    rm -rf "$dir" && mkdir -p "$dir" &&
        (cd "$dir" && "$top/configure" -q "$@" >configure.out 2>&1 || { cat configure.out; exit 1; }) &&
        make -C "$dir" -j"$jobs" >"$dir/make.out" 2>&1 || { tail -n 40 "$dir/make.out"; return 1; }
}

check() {
    local dir=$1
    make -C "$dir" -j"$jobs" check >"$dir/check.out" 2>&1
}

# Debian's Postfix is the peer of the mixed-mode tests, which need root.
with_postfix=""
[ "$(id -u)" = 0 ] && with_postfix="--with-postfix"
tools/install-deps.sh $with_postfix || { echo "0 passed, 1 failed"; exit 1; }

echo "== autoreconf"
autoreconf -fi >/tmp/postern-autoreconf.$$ 2>&1 || { cat /tmp/postern-autoreconf.$$; rm -f /tmp/postern-autoreconf.$$; echo "0 passed, 1 failed"; exit 1; }
rm -f /tmp/postern-autoreconf.$$

echo "== build and check"
if build build; then
    check build || show_failures build
    count_results build
else
    failed=$((failed + 1))
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"

if [ "$quick" = no ]; then
    echo "== sanitizers (ASan + UBSan)"
    if build build-san --enable-sanitizers && check build-san; then
        passed=$((passed + 1)); echo "sanitizer suite: ok"
    else
        show_failures build-san
        failed=$((failed + 1)); echo "sanitizer suite: FAILED"
    fi
    echo "== distcheck"
    if make -C build -j"$jobs" distcheck >build/distcheck.out 2>&1; then
        passed=$((passed + 1)); echo "distcheck: ok"
    else
        tail -n 40 build/distcheck.out
        failed=$((failed + 1)); echo "distcheck: FAILED"
    fi
    echo "== fuzz (libFuzzer, fixed run count and seed)"
    if build build-fuzz CC=clang --enable-fuzz; then
        fuzz/run.sh build-fuzz >build-fuzz/fuzz.out 2>&1
        cat build-fuzz/fuzz.out | grep '^fuzz: '
        line=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' build-fuzz/fuzz.out | tail -n 1)
        if [ -n "$line" ]; then
            passed=$((passed + $(echo "$line" | sed -E 's/fuzz: ([0-9]+) passed.*/\1/')))
            failed=$((failed + $(echo "$line" | sed -E 's/.*passed, ([0-9]+) failed/\1/')))
        else
            failed=$((failed + 1)); echo "fuzz: no result line"
        fi
    else
        failed=$((failed + 1)); echo "fuzz build: FAILED"
    fi
fi

if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
