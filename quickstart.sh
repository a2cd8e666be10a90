#!/usr/bin/env bash
# quickstart.sh - build Postern and start a self-contained instance.
#
# Usage: ./quickstart.sh [instance-directory]     (default: ./instance)
#
# Installs what is missing (Debian packages), builds, installs into the
# instance directory (programs, configuration, spool, log all inside it),
# points main.cf at it, runs as the invoking user on unprivileged ports,
# and starts master with the services that exist so far: the master.cf
# it writes keeps only the entries whose program is installed, and adds
# qmqpd on 127.0.0.1:10628 for local QMQP clients.
set -eu
cd "$(dirname "$0")"
top=$(pwd)
inst=${1:-$top/instance}
mkdir -p "$inst"
inst=$(cd "$inst" && pwd)

tools/install-deps.sh
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p build-quickstart
cd build-quickstart
[ -f Makefile ] || "$top/configure" -q --prefix="$inst"
make -j"$(nproc)" >/dev/null
make install >/dev/null
cd "$top"

etc=$inst/etc/postern
postern="$inst/sbin/postern -c $etc"
$postern conf -e "queue_directory=$inst/spool" \
    "daemon_directory=$inst/libexec/postern" \
    "data_directory=$inst/data" \
    "mail_owner=$(id -un)" "setgid_group=$(id -gn)" \
    "maillog_file=$inst/maillog" \
    "command_directory=$inst/sbin" \
    "inet_interfaces=127.0.0.1" \
    "qmqpd_authorized_clients=127.0.0.1"
mkdir -p "$inst/data"

# Only the services whose program exists (the rest arrive with later steps).
awk -v dir="$inst/libexec/postern" '
    /^[ \t]*#/ || /^[ \t]*$/ { print; next }
    { cmd = $8; if (system("test -x \"" dir "/" cmd "\"") == 0) print; else print "#" $0 }
' "$top/conf/master.cf" >"$etc/master.cf"
# QMQP on an unprivileged port instead of 628, for local clients only.
qmqp_port=10628
if [ -x "$inst/libexec/postern/qmqpd" ]; then
    echo "127.0.0.1:$qmqp_port inet n - n - - qmqpd" >>"$etc/master.cf"
fi

if $postern status >/dev/null 2>&1; then
    $postern reload
else
    $postern start
fi
$postern status
cat <<TXT

Postern runs in $inst
  log:            $inst/maillog
  configuration:  $etc/main.cf, $etc/master.cf
  status:         $inst/sbin/postern -c $etc status
  stop it:        $inst/sbin/postern -c $etc stop
  send mail:      MAIL_CONFIG=$etc $inst/sbin/sendmail -f you@example.org rcpt@example.org <message
  QMQP:           127.0.0.1:$qmqp_port (e.g. qmqp-source -m 1 -r 1 127.0.0.1:$qmqp_port)
  queue:          $inst/spool/ (qmgr delivers to the agents that exist so far:
                  discard and error; smtp and local arrive with the next steps,
                  until then such mail waits in deferred/. To see mail go all
                  the way: $inst/sbin/postern -c $etc conf -e default_transport=discard
                  and $inst/sbin/postern -c $etc reload)
TXT
