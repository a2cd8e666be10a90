#!/usr/bin/env python3
"""test_mixed_qmqpd - our qmqpd beside Debian's Postfix 3.7.

  * our qmqpd in front of Postfix's cleanup (and trivial-rewrite), under
    our master: Postfix's postcat prints the queue file it made, and
    Postfix's qmqp-source gets its messages queued;
  * Postfix's qmqpd and ours side by side under our master, each in front
    of a recording stand-in for cleanup: for the same requests (good ones,
    malformed ones, truncated ones, each cleanup verdict) they must send
    cleanup the same records, answer the same reply and log the same lines
    (after client ports, times and process names are masked). Postfix's
    qmqpd logs through Postfix's postlogd into the same maillog file.
Needs root and Debian's postfix package; skipped otherwise.
"""
import os
import re
import socket
import subprocess
import threading
import time

from harness import Instance, Skip, program, run_tests, wait_for
import formats
import test_mixed as tm

QMQP_SOURCE = "/usr/sbin/qmqp-source"

UNAVAILABLE = tm.UNAVAILABLE
if not UNAVAILABLE and not os.path.exists(os.path.join(tm.PF_SBIN, "qmqpd")):
    UNAVAILABLE = "Debian's postfix package has no qmqpd"


def qmqp(port, packet, timeout=30):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(packet)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            reply += chunk
        return reply
    finally:
        s.close()


def postcat(inst, qid):
    res = subprocess.run(["postcat", "-c", inst.etc, "-q", qid],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return res.stdout


# --- our qmqpd, Postfix's cleanup ---

def pf_cleanup_instance(port):
    inst = Instance("", programs=("qmqpd",))
    os.makedirs(os.path.join(inst.dir, "data"))
    for name in ("cleanup", "trivial-rewrite"):
        os.symlink(os.path.join(tm.PF_SBIN, name),
                   os.path.join(inst.libexec, name))
    tm.make_world_readable(inst)
    tm.postfix_main_cf(inst, "qmqpd_authorized_clients = 127.0.0.1\n"
                       "qmqpd_error_delay = 0\n"
                       "maillog_file = %s\n" % inst.maillog)
    inst.write_master_cf(
        "127.0.0.1:%d inet n - n - - qmqpd\n"
        "cleanup unix n - n - 0 cleanup -o maillog_file=\n"
        "rewrite unix - - n - - trivial-rewrite -o maillog_file=\n" % port)
    for f in ("main.cf", "master.cf"):
        os.chmod(os.path.join(inst.etc, f), 0o644)
    subprocess.run([program("postern"), "-c", inst.etc, "check"], check=True,
                   capture_output=True)
    return inst


def test_our_qmqpd_postfix_cleanup_postcat():
    if UNAVAILABLE:
        raise Skip(UNAVAILABLE)
    port = tm.free_port()
    with pf_cleanup_instance(port) as inst:
        inst.start()
        msg = (b"From lists@example.org Mon Jan  1 00:00:00 2024\n"
               b"Subject: mixed qmqpd\n\nhello from our QMQP server\n" +
               b"z" * 3000 + b"\n")
        reply = qmqp(port, formats.qmqp_packet(
            msg, b"owner-list-@example.org-@[]", [b"a b@example.net"]))
        m = re.match(rb"^(\d+):KOk: queued as ([0-9A-Za-z]+),$", reply)
        assert m, reply
        qid = m.group(2).decode()
        out = postcat(inst, qid)
        assert "sender: owner-list@example.org" in out, out
        assert "recipient: a b@example.net" in out, out
        assert "Received: from localhost (localhost [127.0.0.1])\n" \
            "\tby mixed.example (Postern) with QMQP id %s\n" \
            "\tfor <\"a b\"@example.net>; " % qid in out, out
        assert "X-Mailbox-Line: From lists@example.org" in out, out
        assert "Subject: mixed qmqpd" in out, out
        assert "hello from our QMQP server\n" + "z" * 3000 + "\n" in out, out
        assert "log_client_name: localhost" in out or \
            "named_attribute: log_client_name=localhost" in out, out
        inst.wait_log("%s: client=localhost[127.0.0.1]" % qid)
        inst.stop()
        wait_for(lambda: inst.processes() == [], what="everything to stop")


def test_postfix_qmqp_source_our_qmqpd_postfix_cleanup():
    if UNAVAILABLE:
        raise Skip(UNAVAILABLE)
    port = tm.free_port()
    with pf_cleanup_instance(port) as inst:
        inst.start()
        res = subprocess.run(
            [QMQP_SOURCE, "-m", "4", "-r", "5", "-s", "2", "-l", "3000",
             "-f", "src@example.org", "-t", "dst@example.net",
             "127.0.0.1:%d" % port], capture_output=True, timeout=120)
        assert res.returncode == 0, res
        incoming = os.path.join(inst.spool, "incoming")
        wait_for(lambda: len([f for f in os.listdir(incoming) if
                              os.stat(os.path.join(incoming, f)).st_mode &
                              0o100]) == 4, timeout=30,
                 what="four queue files")
        for qid in os.listdir(incoming):
            out = postcat(inst, qid)
            assert len(re.findall(r"(?m)^recipient: ", out)) == 5, out
            assert "sender: src@example.org" in out, out
            assert "with QMQP" in out, out


# --- Postfix's qmqpd and ours, the same requests, a recording cleanup ---

class RecordingCleanup:
    """public/cleanup stand-in: announces queue ID FAKE123, records each
    session's bytes after the announcement, answers the next verdict."""

    def __init__(self, path):
        self.path = path
        self.sessions = []
        self.verdict = (0, b"")
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.listen(16)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,),
                             daemon=True).start()

    def serve(self, conn):
        conn.settimeout(30)
        conn.sendall(formats.attr_list([("protocol", "cleanup_protocol"),
                                        ("queue_id", "FAKE123")]))
        data = b""
        ended = False
        try:
            while not ended:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                ended = self.complete(data)
            if ended:
                status, reason = self.verdict
                conn.sendall(formats.attr_list([("status", status),
                                                ("reason", reason)]))
        except OSError:
            pass
        conn.close()
        with self.lock:
            self.sessions.append((ended, data))

    @staticmethod
    def complete(data):
        end = data.find(b"\0\0")
        if end < 0:
            return False
        try:
            recs = formats.read_records(data[end + 2:], follow_pointers=False)
        except (ValueError, IndexError):
            return False
        return bool(recs) and recs[-1][0] == "E"

    def count(self):
        with self.lock:
            return len(self.sessions)

    def close(self):
        self.sock.close()


def describe_session(ended, data):
    """A recorded session as comparable text: flags, then records (the
    arrival time masked, client ports masked), and whether E came."""
    end = data.find(b"\0\0")
    if end < 0:
        return ["(no flags)"]
    out = ["flags %r" % data[:end]]
    try:
        recs = formats.read_records(data[end + 2:], follow_pointers=False)
    except (ValueError, IndexError):
        recs = [("?", b"(truncated record stream)")]
    for rtype, payload in recs:
        if rtype == "T":
            payload = b"TIME"
        out.append("%s %r" % (rtype, mask(payload)))
    out.append("complete" if ended else "abandoned")
    return out


def mask(payload):
    payload = re.sub(rb"port=\d+", b"port=PORT", payload)
    payload = re.sub(rb"\]:\d+", b"]:PORT", payload)
    payload = re.sub(rb"\w\w\w, \d+ \w\w\w \d{4} \d\d:\d\d:\d\d [+-]\d{4} "
                     rb"\(\w+\)", b"DATE", payload)
    return payload


def mask_log(line):
    line = re.sub(r"^.*?/[\w-]+\[\d+\]: ", "", line)
    line = re.sub(r"\]:\d+", "]:PORT", line)
    return line


def st(status, reason=b""):
    return (status, reason)


NS = formats.netstring
P = formats.qmqp_packet
GOOD = P(b"S: x\n", b"s@x", [b"r@y"])

# name, request, cleanup verdict, half-close (no reply awaited)
SCENARIOS = [
    ("basic", P(b"Subject: x\n\nhello\n", b"sender@example.org",
                [b"r1@example.net"]), st(0), False),
    ("no final LF", P(b"a\nb", b"s@x", [b"r@y"]), st(0), False),
    ("From_ lines", P(b"From a@b Mon Jan 1\n>From c\nS: x\n\nb\n", b"s@x",
                      [b"r@y"]), st(0), False),
    ("leading white space", P(b" lead\nS: x\n", b"s@x", [b"r@y"]), st(0),
     False),
    ("long From_ line", P(b"From " + b"a" * 3000 + b"\nS: x\n", b"s@x",
                          [b"r@y"]), st(0), False),
    ("long lines", P(b"S: x\n\n" + b"a" * 5000 + b"\n" + b"b" * 2048 + b"\n" +
                     b"c" * 4097, b"s@x", [b"r@y"]), st(0), False),
    ("CR kept", P(b"S: x\r\n\r\nb\r\n", b"s@x", [b"r@y"]), st(0), False),
    ("three recipients", P(b"S: x\n", b"s@x", [b"a@y", b"b@y", b"c@y"]),
     st(0), False),
    ("null sender, empty message", P(b"", b"", [b"r@y"]), st(0), False),
    ("VERP", P(b"S: x\n", b"list-@example.com-@[]", [b"r@y"]), st(0), False),
    ("VERP refused", P(b"S: x\n", b"list!@example.com-@[]", [b"r@y"]), st(0),
     False),
    ("no recipients", P(b"S: x\n", b"s@x", []), st(64, b"x"), False),
    ("quoted recipient", P(b"S: x\n", b"s@x", [b'a"b c@y']), st(0), False),
    ("empty recipient", P(b"S: x\n", b"s@x", [b""]), st(0), False),
    ("leading zeros", b"00030:" + b"0003:S\nx," + b"03:s@x," + b"3:r@y," +
     b",", st(0), False),
    ("outer length ignored", b"5:" + NS(b"S: x\n") + NS(b"s@x") + NS(b"r@y") +
     b",", st(0), False),
    ("content rejected 5", GOOD, st(8, b"5.7.1 blah blah"), False),
    ("content rejected 4", GOOD, st(8, b"4.7.1 try later"), False),
    ("defer and bad", GOOD, st(257, b"4.1.1 d"), False),
    ("bad and size", GOOD, st(5, b"x"), False),
    ("size", GOOD, st(4, b"message file too big"), False),
    ("hops", GOOD, st(16, b"x"), False),
    ("write and rcpt", GOOD, st(66, b"x"), False),
    ("proxy", GOOD, st(128, b"x"), False),
    ("bad outer length", b"1x:", st(0), False),
    ("empty outer netstring", b"0:,", st(0), False),
    ("message without comma", b"100:3:abc;", st(0), False),
    ("message too large", b"3000:2000:" + b"x" * 2000 + b",", st(0), False),
    ("absurd length", b"100:99999999999999999999999:", st(0), False),
    ("sender too long", b"9999:" + NS(b"S: x\n") + NS(b"s" * 3000), st(0),
     False),
    ("recipient too long", b"9999:" + NS(b"S: x\n") + NS(b"s@x") +
     NS(b"r" * 3000), st(0), False),
    ("garbage recipient", b"9999:" + NS(b"S: x\n") + NS(b"s@x") + b"x",
     st(0), False),
    ("gone in the header", b"100:", st(0), True),
    ("gone in the message", b"100:20:abc", st(0), True),
    ("gone in the recipients", b"100:" + NS(b"S: x\n") + NS(b"s@x") +
     NS(b"r@y"), st(0), True),
]


def run_side(inst, fake, port, name, packet, verdict, half):
    """One request to one server: [reply, records..., log lines...]."""
    mark = len(inst.log())
    before = fake.count()
    fake.verdict = verdict
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(packet)
    except (BrokenPipeError, ConnectionResetError):
        pass
    if half:
        time.sleep(0.3)
        s.close()
        out = ["(closed by client)"]
    else:
        reply = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            reply += chunk
        s.close()
        out = ["reply %r" % mask(reply)]
    inst.wait_log("disconnect from", since=mark)
    # A session that reached cleanup is recorded once cleanup is told
    # (E) or the connection closes (abandoned).
    if ": client=" in inst.log()[mark:]:
        wait_for(lambda: fake.count() > before, what=name + ": cleanup")
    with fake.lock:
        for ended, data in fake.sessions[before:]:
            out += describe_session(ended, data)
    out += ["log " + mask_log(l) for l in inst.log()[mark:].splitlines()
            if "qmqpd[" in l]
    return out


def test_same_as_postfix_qmqpd():
    if UNAVAILABLE:
        raise Skip(UNAVAILABLE)
    ours, theirs, refused_ours, refused_theirs = [tm.free_port()
                                                  for _ in range(4)]
    with Instance("", programs=("qmqpd",)) as inst:
        os.makedirs(os.path.join(inst.dir, "data"))
        os.symlink(os.path.join(tm.PF_SBIN, "qmqpd"),
                   os.path.join(inst.libexec, "pf-qmqpd"))
        os.symlink(os.path.join(tm.PF_SBIN, "postlogd"),
                   os.path.join(inst.libexec, "postlogd"))
        tm.make_world_readable(inst)
        # Postfix's postlogd writes only under maillog_file_prefixes.
        tm.postfix_main_cf(inst, "qmqpd_authorized_clients = 127.0.0.1\n"
                           "qmqpd_error_delay = 0\n"
                           "message_size_limit = 1000\n"
                           "mail_name = Postfix\n"
                           "maillog_file_prefixes = %s\n"
                           "maillog_file = %s\n" %
                           (os.path.dirname(inst.dir), inst.maillog))
        refuse = "-o qmqpd_authorized_clients=!127.0.0.1"
        inst.write_master_cf(
            "127.0.0.1:%d inet n - n - - qmqpd\n"
            "127.0.0.1:%d inet n - n - - pf-qmqpd\n"
            "127.0.0.1:%d inet n - n - - qmqpd %s\n"
            "127.0.0.1:%d inet n - n - - pf-qmqpd %s\n"
            "postlog unix-dgram n - n - 1 postlogd\n" %
            (ours, theirs, refused_ours, refuse, refused_theirs, refuse))
        for f in ("main.cf", "master.cf"):
            os.chmod(os.path.join(inst.etc, f), 0o644)
        subprocess.run([program("postern"), "-c", inst.etc, "check"],
                       check=True, capture_output=True)
        inst.start()
        fake = RecordingCleanup(inst.socket_path("cleanup", private=False))
        try:
            differences = []
            cases = SCENARIOS + [
                ("not authorized", GOOD, st(0), False, "refused")]
            for case in cases:
                name, packet, verdict, half = case[:4]
                pair = (refused_theirs, refused_ours) if len(case) > 4 else \
                    (theirs, ours)
                a = run_side(inst, fake, pair[0], name, packet, verdict, half)
                b = run_side(inst, fake, pair[1], name, packet, verdict, half)
                if a != b:
                    differences.append((name, a, b))
            assert not differences, "\n".join(
                "%s:\n  postfix: %s\n  ours:    %s" % d for d in differences)
        finally:
            fake.close()


if __name__ == "__main__":
    run_tests(globals())
