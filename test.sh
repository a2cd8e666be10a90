#!/usr/bin/env bash
# test.sh - build Postern from a clean tree and run the whole test suite.
#
# On a fresh Debian 12 machine this installs what is missing (apt-get,
# Debian packages only), then:
#   1. autoreconf, configure (-Wall -Wextra -Werror), make, make check;
#   2. the same suite again built with --enable-sanitizers (ASan + UBSan);
#   3. make distcheck.
# Every unit test program prints "<program>: N passed, N failed"; this
# script adds them up. Steps 2 and 3 count as one check each. The last
# line is "N passed, N failed"; the exit status is non-zero on any failure.
#
# Options: --quick  skip steps 2 and 3.
set -u
cd "$(dirname "$0")"
top=$(pwd)
quick=no
[ "${1:-}" = "--quick" ] && quick=yes

packages="build-essential autoconf automake pkg-config python3 libssl-dev libcdb-dev tinycdb libcunit1-dev"

install_missing() {
    local missing=""
    for p in $packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "test.sh: installing Debian packages:$missing"
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { echo "test.sh: need root or sudo to install:$missing" >&2; return 1; }
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null &&
        $sudo apt-get install -y -qq $missing >/dev/null
}

passed=0
failed=0
jobs=$(nproc 2>/dev/null || echo 2)

# Add up the per-program counts of one build directory's test logs.
count_results() {
    local dir=$1 trs log line p f
    for trs in $(find "$dir/tests" -name '*.trs' 2>/dev/null | sort); do
        log=${trs%.trs}.log
        line=$(grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed$' "$log" 2>/dev/null | tail -n 1)
        if [ -n "$line" ]; then
            p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
            f=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) failed/\1/')
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

install_missing || { echo "0 passed, 1 failed"; exit 1; }

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
echo "unit tests: $passed passed, $failed failed"

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
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
