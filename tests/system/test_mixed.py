#!/usr/bin/env python3
"""test_mixed - Postern's master and skeleton beside Debian's Postfix 3.7.

Mixed mode proves the master/child protocol with a peer nobody here wrote:
  * Postfix's master runs testsvc (a daemon built on our skeleton): it must
    spawn it on demand, pass it the right descriptors and options, and see
    its TAKEN/AVAIL status messages (otherwise it would not create a second
    child for a second concurrent client);
  * our master runs Postfix's own qmqpd and cleanup (and trivial-rewrite,
    which Postfix's cleanup consults), so that a QMQP client's message
    becomes a queue file that Postfix's postcat prints.
Needs root and Debian's postfix package (test.sh installs it); skipped
otherwise, with a line saying so.
"""
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time

from harness import Instance, Skip, free_port, program, run_tests, wait_for

PF_SBIN = "/usr/lib/postfix/sbin"
UNAVAILABLE = None
if os.getuid() != 0:
    UNAVAILABLE = "not root"
elif not os.path.exists(os.path.join(PF_SBIN, "master")):
    UNAVAILABLE = "Debian's postfix package is not installed"
else:
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        UNAVAILABLE = "no postfix account"


def make_world_readable(inst):
    """Postfix's daemons run as the postfix account: let it reach the
    instance, and give it the spool directories."""
    os.chmod(inst.dir, 0o755)
    os.chmod(inst.etc, 0o755)
    for name in os.listdir(inst.libexec):
        path = os.path.join(inst.libexec, name)
        if os.path.islink(path):
            real = os.path.realpath(path)
            os.unlink(path)
            shutil.copy(real, path)
        os.chmod(path, 0o755)
    os.chmod(inst.libexec, 0o755)


def postfix_main_cf(inst, extra=""):
    with open(os.path.join(inst.etc, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\n"
                "queue_directory = %s\n"
                "daemon_directory = %s\n"
                "data_directory = %s/data\n"
                "mail_owner = postfix\n"
                "setgid_group = postdrop\n"
                "myhostname = mixed.example\n"
                "inet_interfaces = 127.0.0.1\n"
                "inet_protocols = ipv4\n" % (inst.spool, inst.libexec,
                                              inst.dir) + extra)


def test_postfix_master_runs_postern_daemon():
    if UNAVAILABLE:
        raise Skip(UNAVAILABLE)
    with Instance("") as inst:
        os.makedirs(os.path.join(inst.dir, "data"))
        make_world_readable(inst)
        postfix_main_cf(inst)
        inst.write_master_cf(
            "echo  unix  -  -  n  -  2  testsvc\n")
        os.chmod(os.path.join(inst.etc, "master.cf"), 0o644)
        os.chmod(os.path.join(inst.etc, "main.cf"), 0o644)
        for d in ("private", "public", "pid"):
            os.makedirs(os.path.join(inst.spool, d), exist_ok=True)
        pf = pwd.getpwnam("postfix")
        for d in ("private", "public"):
            os.chown(os.path.join(inst.spool, d), pf.pw_uid, pf.pw_gid)
        os.chown(os.path.join(inst.dir, "data"), pf.pw_uid, pf.pw_gid)
        master = subprocess.Popen(
            [os.path.join(PF_SBIN, "master"), "-c", inst.etc, "-d"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: os.path.exists(inst.socket_path("echo")),
                     what="Postfix's master to open our service's socket")
            a = inst.connect("echo")
            line_a = a.readline(timeout=10)
            # Postfix's master announced a generation and -u dropped us to
            # the postfix account.
            assert line_a.startswith("hello echo "), line_a
            pid_a = int(line_a.split()[2])
            assert os.stat("/proc/%d" % pid_a).st_uid == pf.pw_uid
            # Only if master saw our TAKEN does it create a second child.
            b = inst.connect("echo")
            line_b = b.readline(timeout=10)
            assert int(line_b.split()[2]) != pid_a, (line_a, line_b)
            a.send("x\n")
            assert a.readline() == "ok x"
            a.close()
            b.close()
            # After AVAIL the idle child takes the next client.
            c = inst.connect("echo")
            assert int(c.readline(timeout=10).split()[2]) in \
                (pid_a, int(line_b.split()[2]))
            c.close()
        finally:
            master.send_signal(signal.SIGTERM)
            try:
                master.wait(timeout=10)
            except subprocess.TimeoutExpired:
                master.kill()
            out = master.stdout.read().decode(errors="replace")
            if "fatal" in out:
                print(out)


def qmqp_send(port, message, sender, recipients):
    def ns(b):
        return b"%d:%s," % (len(b), b)
    body = ns(message) + ns(sender) + b"".join(ns(r) for r in recipients)
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(ns(body))
    reply = b""
    while True:
        data = s.recv(4096)
        if not data:
            break
        reply += data
    s.close()
    return reply


def test_postern_master_runs_postfix_qmqpd_and_cleanup():
    if UNAVAILABLE:
        raise Skip(UNAVAILABLE)
    port = free_port()
    with Instance("", programs=("testsvc",)) as inst:
        os.makedirs(os.path.join(inst.dir, "data"))
        for name in ("qmqpd", "cleanup", "trivial-rewrite"):
            os.symlink(os.path.join(PF_SBIN, name),
                       os.path.join(inst.libexec, name))
        make_world_readable(inst)
        postfix_main_cf(inst, "qmqpd_authorized_clients = 127.0.0.1\n"
                        "maillog_file = %s\n" % inst.maillog)
        # Postfix's daemons would log through postlogd: keep them on syslog.
        inst.write_master_cf(
            "127.0.0.1:%d inet n - n - - qmqpd -o maillog_file=\n"
            "cleanup unix n - n - 0 cleanup -o maillog_file=\n"
            "rewrite unix - - n - - trivial-rewrite -o maillog_file=\n" % port)
        subprocess.run([program("postern"), "-c", inst.etc, "check"],
                       check=True, capture_output=True)
        inst.start()
        reply = qmqp_send(port, b"Subject: mixed\n\nhello from QMQP\n",
                          b"sender@example.org",
                          [b"rcpt1@example.net", b"rcpt2@example.net"])
        # One netstring whose first byte is K: accepted.
        m = re.match(rb"^(\d+):K(Ok: queued as ([0-9A-Za-z]+)),$", reply)
        assert m and int(m.group(1)) == len(m.group(2)) + 1, reply
        qid = m.group(3).decode()
        res = subprocess.run(["postcat", "-c", inst.etc, "-q", qid],
                             capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res.stderr
        out = res.stdout
        assert "sender: sender@example.org" in out, out
        assert "recipient: rcpt1@example.net" in out, out
        assert "recipient: rcpt2@example.net" in out, out
        assert "Subject: mixed" in out and "hello from QMQP" in out, out
        # Our master saw both Postfix daemons through their whole life.
        inst.stop()
        wait_for(lambda: inst.processes() == [], what="everything to stop")


if __name__ == "__main__":
    run_tests(globals())
