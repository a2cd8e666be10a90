#!/usr/bin/env python3
"""test_rewrite - trivial-rewrite through its real socket under a real master.

  * The table in rewrite_cases.py (addresses x configurations: defaults,
    rewrite options, mydestination and address literals, relay and
    virtual domains, relayhost, transports with :nexthop, error: and
    discard:, transport_maps in cdb (built with tinycdb's cdb -c) and
    inline:, relocated_maps, sender-dependent tables, verify requests,
    bad syntax, a table that cannot be read) is put to Postern's
    trivial-rewrite with a Python client speaking the attribute protocol,
    and to the same server through util/rewrite_client.c (the
    rewrite_query program); the answers must be exactly those recorded
    from Postfix 3.7.
  * Protocol errors (unknown request, unknown context, missing or
    misordered attributes, garbage, an oversized value) get no answer and
    a closed connection, and the server goes on serving; requests sent
    back to back on one connection, and interleaved on two, are all
    answered in order.
  * Mixed mode (root and Debian's postfix package, skipped otherwise):
    Postfix 3.7's trivial-rewrite under our master and the same main.cf
    answers the same table, also to our client library; and Postfix's own
    qmqpd and cleanup, using our trivial-rewrite, write a queue file whose
    addresses it rewrote (checked with Postfix's postcat).
"""
import filecmp
import os
import pwd
import re
import shutil
import socket
import subprocess
import time

import harness
import rewrite_cases
from harness import Instance, Skip, program, run_tests, wait_for

PF_SBIN = "/usr/lib/postfix/sbin"


def mixed_unavailable():
    if os.getuid() != 0:
        return "not root"
    if not os.path.exists(os.path.join(PF_SBIN, "trivial-rewrite")):
        return "Debian's postfix package is not installed"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "no postfix account"
    return None


def postfix_has_cdb():
    # Debian ships Postfix's cdb support in the postfix-cdb package.
    return os.path.exists("/usr/lib/postfix/postfix-cdb.so")


# --- the attribute protocol, as a client --------------------------------

def encode(pairs):
    out = b""
    for name, value in pairs:
        out += name.encode() + b"\0" + value.encode("latin-1") + b"\0"
    return out + b"\0"


class Conn:
    """One client connection to a rewrite service."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.pending = b""
        announce = self.read_list()
        assert announce == [("protocol", "trivial_rewrite_protocol")], announce

    def field(self):
        while b"\0" not in self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.pending += data
        value, self.pending = self.pending.split(b"\0", 1)
        return value.decode("latin-1")

    def read_list(self):
        pairs = []
        while True:
            name = self.field()
            if name == "":
                return pairs
            pairs.append((name, self.field()))

    def send(self, data):
        self.sock.sendall(data)

    def closed(self):
        """True when the server closed the connection (nothing to read)."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def request_pairs(case):
    if case[0] == "rewrite":
        return [("request", "rewrite"), ("rule", case[1]),
                ("address", case[2])]
    return [("request", case[0]), ("sender", case[2]), ("address", case[1])]


def reply_value(pairs):
    """The answer in the table's form; the server flags must be 0."""
    assert pairs[0] == ("flags", "0"), pairs
    if len(pairs) == 2:
        assert pairs[1][0] == "address", pairs
        return pairs[1][1]
    assert [n for n, _ in pairs] == ["flags", "transport", "nexthop",
                                     "recipient", "flags"], pairs
    return (pairs[1][1], pairs[2][1], pairs[3][1], int(pairs[4][1]))


# --- our C client ---------------------------------------------------------

def escape(text):
    return (text.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n"))


def unescape(text):
    return re.sub(r"\\(x[0-9a-f]{2}|.)",
                  lambda m: {"t": "\t", "n": "\n"}.get(
                      m.group(1), chr(int(m.group(1)[1:], 16))
                      if m.group(1)[0] == "x" and len(m.group(1)) == 3
                      else m.group(1)), text)


def query_with_library(path, cases):
    """Answers of util/rewrite_client.c (rewrite_query) to cases."""
    lines = []
    for case in cases:
        if case[0] == "rewrite":
            lines.append("rewrite\t%s\t%s" % (case[1], escape(case[2])))
        else:
            lines.append("%s\t%s\t%s" % (case[0], escape(case[1]),
                                         escape(case[2])))
    res = subprocess.run([os.path.join(harness.BUILD,
                                       "tests/system/rewrite_query"), path],
                         input="\n".join(lines) + "\n", capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    answers = []
    for line in res.stdout.splitlines():
        fields = [unescape(f) for f in line.split("\t")]
        assert fields[0] == "ok", (line, res.stderr)
        if len(fields) == 2:
            answers.append(fields[1])
        else:
            answers.append((fields[1], fields[2], fields[3], int(fields[4])))
    return answers


# --- instances --------------------------------------------------------------

def build_maps(directory):
    """The cdb tables of rewrite_cases.MAPS, written by tinycdb's cdb -c."""
    if shutil.which("cdb") is None:
        raise Skip("tinycdb's cdb command is not installed")
    os.makedirs(directory, exist_ok=True)
    for name, entries in rewrite_cases.MAPS.items():
        data = "".join("%s %s\n" % entry for entry in entries)
        path = os.path.join(directory, name + ".cdb")
        subprocess.run(["cdb", "-c", "-m", path], input=data.encode(),
                       check=True)
        os.chmod(path, 0o644)
    os.chmod(directory, 0o755)


def config_text(extra, maps):
    return rewrite_cases.COMMON + extra.replace("{maps}", maps)


def check_answers(label, cases, answers):
    failures = []
    for case, got in zip(cases, answers):
        want = case[-1]
        if got != want:
            failures.append("%s: %r\n    got  %r\n    want %r" % (
                label, case[:-1], got, want))
    assert len(answers) == len(cases), (label, len(answers), len(cases))
    assert not failures, "\n".join(failures)


def ask_table(path, label, cases):
    conn = Conn(path)
    answers = []
    try:
        for case in cases:
            conn.send(encode(request_pairs(case)))
            answers.append(reply_value(conn.read_list()))
    finally:
        conn.close()
    check_answers(label, cases, answers)
    check_answers(label + " (client library)", cases,
                  query_with_library(path, cases))


OUR_MASTER_CF = "rewrite unix - - n - - trivial-rewrite\n"


def our_instance(extra=""):
    inst = Instance(OUR_MASTER_CF, programs=("trivial-rewrite",))
    maps = os.path.join(inst.dir, "maps")
    inst.write_main_cf(config_text(extra, maps))
    return inst, maps


def test_table_postern():
    for name, extra, cases in rewrite_cases.CONFIGS:
        inst, maps = our_instance(extra)
        with inst:
            build_maps(maps)
            inst.start()
            ask_table(inst.socket_path("rewrite"), name, cases)


def test_protocol_errors():
    inst, maps = our_instance()
    with inst:
        inst.start()
        path = inst.socket_path("rewrite")
        good = encode([("request", "resolve"), ("sender", ""),
                       ("address", "user@example.com")])
        bad = [
            ("unknown request", encode([("request", "frobnicate"),
                                        ("address", "x")])),
            ("unknown context", encode([("request", "rewrite"),
                                        ("rule", "bogus"),
                                        ("address", "user")])),
            ("missing address", encode([("request", "rewrite"),
                                        ("rule", "local")])),
            ("out of order", encode([("request", "resolve"),
                                     ("address", "user"),
                                     ("sender", "")])),
            ("no request", encode([("address", "user")])),
            ("empty list", b"\0"),
            ("oversized value", encode([("request", "rewrite"),
                                        ("rule", "local"),
                                        ("address", "x" * 100000)])),
        ]
        for label, data in bad:
            conn = Conn(path)
            conn.send(data)
            assert conn.closed(), label
            conn.close()
        # Garbage without a terminator: the server closes when we do.
        conn = Conn(path)
        conn.send(b"request\0resolve\0sender")
        conn.sock.shutdown(socket.SHUT_WR)
        assert conn.closed()
        conn.close()
        # Still serving; several requests in one write answered in order.
        conn = Conn(path)
        rw = encode([("request", "rewrite"), ("rule", "local"),
                     ("address", "someone")])
        conn.send(good + rw + good)
        assert reply_value(conn.read_list())[0] == "smtp"
        assert reply_value(conn.read_list()) == "someone@host.example.org"
        assert reply_value(conn.read_list())[0] == "smtp"
        # A second client interleaved with the first.
        other = Conn(path)
        other.send(rw)
        conn.send(good)
        assert reply_value(other.read_list()) == "someone@host.example.org"
        assert reply_value(conn.read_list())[0] == "smtp"
        other.close()
        conn.close()
        log = inst.log()
        for text in ("bad command frobnicate", "unknown context: bogus",
                     "missing attribute address"):
            assert text in log, (text, log)


def test_client_library():
    """Internal forms both ways, and a server that went away between two
    requests (the client connects again)."""
    inst, maps = our_instance()
    with inst:
        inst.start()
        path = inst.socket_path("rewrite")
        query = subprocess.Popen(
            [os.path.join(harness.BUILD, "tests/system/rewrite_query"), path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            def ask(line):
                query.stdin.write(line + "\n")
                query.stdin.flush()
                return [unescape(f) for f in
                        query.stdout.readline().rstrip("\n").split("\t")]
            assert ask("rewrite_internal\tlocal\tjohn smith") == \
                ["ok", "john smith@host.example.org"]
            assert ask('rewrite_internal\tlocal\t"q"@x.example') == \
                ["ok", '"q"@x.example']
            assert ask("rewrite\tlocal\t") == ["ok", ""]
            assert ask("resolve\tuser\t") == \
                ["ok", "local", "host.example.org", "user@host.example.org",
                 "256"]
            # Kill the server under the open connection; master starts
            # another, and the client's next request goes there.
            pids = [p for p in inst.processes() if p != inst.master_pid()]
            assert pids
            for pid in pids:
                os.kill(pid, 9)
            wait_for(lambda: all(not harness.pid_alive(p) for p in pids),
                     what="the server to die")
            assert ask("resolve\tuser@example.com\t") == \
                ["ok", "smtp", "example.com", "user@example.com", "4096"]
            query.stdin.close()
            assert query.wait(timeout=10) == 0
            assert "problem talking to service rewrite" in query.stderr.read()
        finally:
            if query.poll() is None:
                query.kill()
                query.wait()


def test_table_change_restarts():
    """A replaced table makes the server exit once it is idle; master
    starts a fresh one that reads the new contents."""
    extra = "transport_maps = cdb:{maps}/transport\n"
    inst, maps = our_instance(extra)
    with inst:
        build_maps(maps)
        inst.start()
        path = inst.socket_path("rewrite")
        conn = Conn(path)
        conn.send(encode([("request", "resolve"), ("sender", ""),
                          ("address", "x@example.com")]))
        assert reply_value(conn.read_list())[1] == "[mx.example.com]"
        conn.close()
        time.sleep(1.1)  # a new mtime, for the change to be visible
        tmp = os.path.join(maps, "transport.tmp.cdb")
        subprocess.run(["cdb", "-c", "-m", tmp],
                       input=b"example.com smtp:[changed.example]\n",
                       check=True)
        os.rename(tmp, os.path.join(maps, "transport.cdb"))

        def answer():
            conn = Conn(path)
            try:
                conn.send(encode([("request", "resolve"), ("sender", ""),
                                  ("address", "x@example.com")]))
                return reply_value(conn.read_list())[1]
            finally:
                conn.close()
        wait_for(lambda: answer() == "[changed.example]", timeout=30,
                 what="a fresh trivial-rewrite with the new table")
        assert "has changed -- restarting" in inst.log()


# --- mixed mode -------------------------------------------------------------

def postfix_instance(extra, programs):
    import test_mixed
    inst = Instance("", programs=("testsvc",))
    os.makedirs(os.path.join(inst.dir, "data"))
    for name in programs:
        os.symlink(os.path.join(PF_SBIN, name),
                   os.path.join(inst.libexec, name))
    return inst, test_mixed


def settle_main_cf(inst):
    """Postfix's daemons pause (0.3 s at a time, observed) while main.cf
    is only a second or two old: date it back."""
    past = time.time() - 60
    os.utime(os.path.join(inst.etc, "main.cf"), (past, past))


def test_table_postfix():
    why = mixed_unavailable()
    if why:
        raise Skip(why)
    for name, extra, cases in rewrite_cases.CONFIGS:
        if "cdb:" in extra and not postfix_has_cdb():
            print("note: %s: Postfix has no cdb support (package "
                  "postfix-cdb); configuration skipped" % name)
            continue
        inst, tm = postfix_instance(extra, ("trivial-rewrite",))
        with inst:
            maps = os.path.join(inst.dir, "maps")
            build_maps(maps)
            tm.make_world_readable(inst)
            tm.postfix_main_cf(inst, config_text(extra, maps))
            inst.write_master_cf(
                "rewrite unix - - n - - trivial-rewrite\n")
            settle_main_cf(inst)
            subprocess.run([program("postern"), "-c", inst.etc, "check"],
                           check=True, capture_output=True)
            inst.start()
            ask_table(inst.socket_path("rewrite"), "Postfix: " + name, cases)


def test_postfix_cleanup_uses_ours():
    why = mixed_unavailable()
    if why:
        raise Skip(why)
    port = harness.free_port()
    inst, tm = postfix_instance("", ("qmqpd", "cleanup"))
    with inst:
        os.symlink(program("trivial-rewrite"),
                   os.path.join(inst.libexec, "trivial-rewrite"))
        tm.make_world_readable(inst)
        tm.postfix_main_cf(inst, config_text(
            "qmqpd_authorized_clients = 127.0.0.1\n"
            "maillog_file = %s\n" % inst.maillog, ""))
        inst.write_master_cf(
            "127.0.0.1:%d inet n - n - - qmqpd -o maillog_file=\n"
            "cleanup unix n - n - 0 cleanup -o maillog_file=\n"
            "rewrite unix - - n - - trivial-rewrite\n" % port)
        subprocess.run([program("postern"), "-c", inst.etc, "check"],
                       check=True, capture_output=True)
        settle_main_cf(inst)
        # Our daemon logs to maillog_file itself, as the postfix account.
        open(inst.maillog, "a").close()
        os.chmod(inst.maillog, 0o666)
        inst.start()
        reply = tm.qmqp_send(
            port, b"From: Joe <joe>\nTo: friend, \"A B\"@example.com\n"
            b"Subject: rewritten\n\nbody\n",
            b"sender", [b"rcpt", b"host!user", b"user%relay.example",
                        b"other@example.com"])
        m = re.match(rb"^\d+:KOk: queued as ([0-9A-Za-z]+),$", reply)
        assert m, reply
        res = subprocess.run(["postcat", "-c", inst.etc, "-q",
                              m.group(1).decode()],
                             capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res.stderr
        out = res.stdout
        for line in ("sender: sender@host.example.org",
                     "recipient: rcpt@host.example.org",
                     "recipient: user@host",
                     "recipient: user@relay.example",
                     "recipient: other@example.com",
                     "From: Joe <joe@host.example.org>"):
            assert line in out, (line, out)
        # Our trivial-rewrite, not Postfix's, did the work.
        assert filecmp.cmp(os.path.join(inst.libexec, "trivial-rewrite"),
                           program("trivial-rewrite"), shallow=False)
        inst.stop()
        wait_for(lambda: inst.processes() == [], what="everything to stop")


if __name__ == "__main__":
    run_tests(globals())
