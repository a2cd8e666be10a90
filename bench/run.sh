#!/usr/bin/env bash
# run.sh - Postern against Debian's Postfix 3.7, side by side on this machine.
#
# Usage: bench/run.sh [-n RUNS] [-s I,S2,...] [-m MESSAGES] [--quick]
#                     [--settle S] [--fs root|image] [--mta M] [--keep] [--json FILE]
#
#   -n RUNS     runs per scenario and MTA (default 3; figures are the
#               median with min and max)
#   -s LIST     scenarios, comma-separated: I S1 S2 S3 S4a S4b S4c S5
#               (default: all; those that cannot run yet say why)
#   -m N        messages per run (default 10000, as benchmarks.md says)
#   --quick     2000 messages, one run
#   --settle S  before each run wait until S seconds have passed since the
#               last queue files were deleted (default 0; see RESULTS.md:
#               ext4 without a journal does not reuse an inode freed in
#               the last 30 s and scans past such inodes on every create)
#   --fs F      root (default: the queues on this machine's root file
#               system, as benchmarks.md's reference figures were made)
#               or image (each run's queue on a fresh loop-mounted ext4
#               image without a journal: the same file system state for
#               every run and both MTAs; see RESULTS.md)
#   --mta M     postfix, postern or both (default both; ratios need both)
#   --keep      leave the work directory (configuration, logs) behind
#   --json FILE append one JSON line per run to FILE
#
# Needs root (Postfix runs its daemons as the postfix account; cgroups),
# gcc (for bench/cgwrap.c) and Debian's postfix package (installed here,
# preseeded "No configuration", if missing; it is never started as the
# system MTA). Builds Postern in build-bench/ (configure -O2 defaults)
# and installs it into a temporary prefix. Both instances live in a
# temporary work directory with their own configuration, queue, data
# directory and log; nothing touches /etc/postfix (only read: its
# master.cf is the template) or /var/spool/postfix.
#
# Method (details in bench.py's header): each master runs in its own
# CPU-accounting cgroup, so the CPU of every MTA process, exited
# children included, is the cgroup's counter; for the per-program split
# each daemon is started through a small wrapper (bench/cgwrap.c) that
# moves it into a subgroup named after the program; the queue manager's
# peak RSS is its VmHWM. qmqp-source (and smtp-sink) run outside the
# cgroups. Runs alternate between the MTAs (PF PN, PN PF, ...), each
# with a fresh queue.
#
# On exit, even after a failure or ^C, the trap stops both masters, kills
# whatever is left in the two cgroups (by pid), stops smtp-sink, and
# removes the cgroups and the work directory (unless --keep).
#
# Nothing here is part of `make check` or test.sh: timings are never a
# pass/fail test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
args="$*"
runs=3
scen=I,S1,S2,S3,S4a,S4b,S4c,S5
msgs=10000
keep=
json=
mta=both
settle=0
fs=root
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=$2; shift 2 ;;
    -s) scen=$2; shift 2 ;;
    -m) msgs=$2; shift 2 ;;
    --quick) msgs=2000; runs=1; shift ;;
    --keep) keep=1; shift ;;
    --mta) mta=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --fs) fs=$2; shift 2 ;;
    --json) json=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root" >&2; exit 1; }
if [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/sbin/qmqp-source ]; then
    echo "postfix postfix/main_mailer_type select No configuration" |
        debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null
fi
command -v python3 >/dev/null || apt-get install -y -q python3 >/dev/null

# Build Postern (optimised, no sanitizers) and install it into the work dir.
work=$(mktemp -d /var/tmp/postern-bench.XXXXXX)
chmod 755 "$work"
cgroot=
if [ -d /sys/fs/cgroup/cpuacct ] && [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
    cgroot=/sys/fs/cgroup/cpuacct
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    cgroot=/sys/fs/cgroup
elif [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
    cgroot=/sys/fs/cgroup/unified
fi
[ -n "$cgroot" ] || { echo "run.sh: no cpuacct cgroup hierarchy" >&2; exit 1; }
cg_pf=$cgroot/postern-bench.$$.postfix
cg_pn=$cgroot/postern-bench.$$.postern

stop_all() {
    set +e
    if [ -f "$work/postfix/etc/main.cf" ]; then
        postfix -c "$work/postfix/etc" stop >/dev/null 2>&1
    fi
    if [ -x "$work/prefix/sbin/postern" ] && [ -f "$work/postern/etc/main.cf" ]; then
        "$work/prefix/sbin/postern" -c "$work/postern/etc" stop >/dev/null 2>&1
    fi
    if [ -s "$work/sink.pid" ]; then
        kill "$(cat "$work/sink.pid")" 2>/dev/null
    fi
    for cg in "$cg_pf" "$cg_pn"; do
        [ -d "$cg" ] || continue
        for i in $(seq 50); do
            [ -z "$(find "$cg" -name cgroup.procs -exec cat {} +)" ] && break
            sleep 0.1
        done
        for pid in $(find "$cg" -name cgroup.procs -exec cat {} +); do
            echo "run.sh: killing leftover process $pid" >&2
            kill -KILL "$pid" 2>/dev/null
        done
        sleep 0.2
        find "$cg" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
        rmdir "$cg" 2>/dev/null
    done
    for m in $(awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts); do
        umount "$m"
    done
    if [ -n "$keep" ]; then
        echo "work directory kept: $work" >&2
    else
        rm -rf "$work"
    fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM HUP

mkdir "$cg_pf" "$cg_pn"
if [ "$cgroot" != /sys/fs/cgroup/cpuacct ]; then
    # cgroup v2: make sure the cpu controller accounts in our groups.
    echo +cpu >"$cgroot/cgroup.subtree_control" 2>/dev/null || true
fi

echo "building Postern in $top/build-bench" >&2
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null)
mkdir -p "$top/build-bench"
(
    cd "$top/build-bench"
    [ -f Makefile ] || "$top/configure" -q
    make -j"$(nproc)" >/dev/null
    # The programs get every path from main.cf (-c), so the prefix is
    # only overridden at install time.
    make install prefix="$work/prefix" >/dev/null
)

echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "postfix: $(dpkg-query -W -f '${Version}' postfix), postern: $(cd "$top" && git describe --always --dirty 2>/dev/null || echo unknown)"
echo "command: bench/run.sh $args" | sed 's/ *$//'
echo

python3 "$here/bench.py" --work "$work" --postern "$work/prefix" \
    --cg-postfix "$cg_pf" --cg-postern "$cg_pn" -n "$runs" -s "$scen" \
    -m "$msgs" --mta "$mta" --settle "$settle" --fs "$fs" ${json:+--json "$json"}

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
