#!/usr/bin/env bash
# install-deps.sh - install the Debian packages Postern needs, if missing.
#
# Usage: tools/install-deps.sh [--with-postfix]
# Build and test dependencies always; --with-postfix adds Debian's
# Postfix 3.7 and its cdb tables (postfix-cdb; the peer of the
# mixed-mode tests), preseeded as
# "No configuration" so that it is never started as the system MTA.
# clang and libclang-rt-14-dev (its libFuzzer, ASan and UBSan runtimes,
# a separate package in Debian 12) build the fuzz targets (configure
# CC=clang --enable-fuzz). Uses apt-get as root, or through sudo.
set -u
packages="build-essential autoconf automake pkg-config python3 libssl-dev libcdb-dev tinycdb libcunit1-dev clang libclang-rt-14-dev"
[ "${1:-}" = "--with-postfix" ] && packages="$packages postfix postfix-cdb"

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing Debian packages:$missing"
sudo=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install:$missing" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" |
    $sudo debconf-set-selections 2>/dev/null
$sudo apt-get update -qq >/dev/null &&
    $sudo apt-get install -y -qq $missing >/dev/null
