#!/usr/bin/env python3
"""test_submit - local submission: sendmail -> postdrop -> maildrop/ ->
pickup -> cleanup, through real processes under a real master.

Most tests run as any user with a stand-in cleanup: a Python listener on
public/cleanup that speaks the cleanup protocol (announcement with a
queue ID, flags, queue file records, status) and records what pickup
sent. The end-to-end tests need a real cleanup: Postern's (skipped until
it is built) and Debian Postfix 3.7's cleanup and trivial-rewrite under
our master (root only); they read the queue files in incoming/ back
field by field. Mixed-mode tests (root, Debian's postfix package) run Postfix's
sendmail against our postdrop and ours against Postfix's postdrop, and
each resulting maildrop file through the other side's pickup; and they
compare the records both sendmails send postdrop for the same input.
"""
import os
import pwd
import grp
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time

from harness import (BUILD, PROGRAMS, Instance, Skip, current_user, program,
                     run_tests, wait_for)
import formats

EX_USAGE, EX_DATAERR, EX_NOUSER, EX_UNAVAILABLE = 64, 65, 67, 69
EX_TEMPFAIL, EX_NOPERM = 75, 77

PF_SBIN = "/usr/lib/postfix/sbin"
PF_SENDMAIL = "/usr/sbin/sendmail"
PF_POSTDROP = "/usr/sbin/postdrop"
MASTER_CF = "pickup unix n - n 60 1 pickup\n"


def postfix_unavailable():
    if os.getuid() != 0:
        return "not root"
    for path in (os.path.join(PF_SBIN, "pickup"), PF_SENDMAIL, PF_POSTDROP):
        if not os.path.exists(path):
            return "Debian's postfix package is not installed"
    try:
        pwd.getpwnam("postfix")
        grp.getgrnam("postdrop")
    except KeyError:
        return "no postfix account or postdrop group"
    return None


def our_cleanup():
    """True when Postern's own cleanup is built."""
    return "cleanup" in PROGRAMS and os.path.exists(program("cleanup"))


# --- a stand-in for the cleanup service ---

def parse_attr_lists(data):
    """Format-0 attribute lists in data -> [dict, ...]."""
    lists = []
    fields = data.split(b"\0")
    cur = {}
    i = 0
    while i < len(fields) - 1:
        name = fields[i]
        if name == b"":
            lists.append(cur)
            cur = {}
            i += 1
            continue
        cur[name.decode()] = fields[i + 1].decode(errors="replace")
        i += 2
    return lists


class FakeCleanup:
    """Listens on public/cleanup; per connection: announce FAKE<n>, read
    the flags list and the records up to E, answer self.status."""

    def __init__(self, path, status=0):
        self.path = path
        self.status = status
        self.sessions = []  # (queue_id, flags, [(type, payload)], complete)
        self.count = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.listen(20)
        self.sock.settimeout(0.1)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        with self.lock:
            self.count += 1
            qid = "FAKE%d" % self.count
        conn.settimeout(10)
        conn.sendall(formats.attr_list([("protocol", "cleanup_protocol"),
                                        ("queue_id", qid)]))
        data = b""
        flags = None
        records = []
        complete = False
        pos = 0
        try:
            while not complete:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                if flags is None and b"\0\0" in data:
                    end = data.index(b"\0\0") + 2
                    flags = parse_attr_lists(data[:end])[0].get("flags")
                    data = data[end:]
                if flags is None:
                    continue
                while True:
                    try:
                        rtype, payload, nxt = formats.read_record(data, pos)
                    except (ValueError, IndexError):
                        break
                    records.append((rtype, payload))
                    pos = nxt
                    if rtype == "E":
                        complete = True
                        break
            if complete:
                conn.sendall(formats.attr_list([("status", self.status),
                                                ("reason", "")]))
        except OSError:
            pass
        finally:
            with self.lock:
                self.sessions.append((qid, flags, records, complete))
            conn.close()

    def complete_sessions(self):
        with self.lock:
            return [s for s in self.sessions if s[3]]

    def close(self):
        self.stopping.set()
        self.sock.close()
        self.thread.join(timeout=5)
        try:
            os.unlink(self.path)
        except OSError:
            pass


# --- instances ---

class Submit:
    """An instance with pickup, postdrop and sendmail, and a stand-in
    cleanup unless real_cleanup."""

    def __init__(self, main_cf="", fake=True, master_cf=MASTER_CF,
                 programs=("pickup", "postdrop", "sendmail")):
        self.inst = Instance(master_cf, programs=programs)
        self.hostname = "host.example"
        self.inst.write_main_cf("command_directory = %s\n"
                                "myhostname = %s\n"
                                "myorigin = origin.example\n" %
                                (self.inst.libexec, self.hostname) + main_cf)
        self.fake = None
        self.want_fake = fake

    def start(self):
        # The spool layout (maildrop/, incoming/, ...) as "postern check"
        # makes it.
        res = subprocess.run([program("postern"), "-c", self.inst.etc,
                              "check"], capture_output=True, text=True)
        assert res.returncode == 0, res
        self.inst.start()
        if self.want_fake:
            self.fake = FakeCleanup(self.cleanup_path())
        return self

    def cleanup_path(self):
        return self.inst.socket_path("cleanup", private=False)

    def maildrop(self):
        return os.path.join(self.inst.spool, "maildrop")

    def maildrop_files(self):
        return sorted(os.listdir(self.maildrop()))

    def sendmail(self, args, message, env=None, sendmail=None, user=None):
        cmd = [sendmail or program("sendmail"), "-C", self.inst.etc] + \
            list(args)
        return subprocess.run(cmd, input=message, capture_output=True,
                              timeout=30, env=env, user=user)

    def postdrop(self, data, env_extra=None, user=None):
        env = dict(os.environ, MAIL_CONFIG=self.inst.etc)
        env.update(env_extra or {})
        return subprocess.run([program("postdrop"), "-r"], input=data,
                              capture_output=True, timeout=30, env=env,
                              user=user)

    def trigger_pickup(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.inst.socket_path("pickup", private=False))
        s.sendall(b"W")
        s.close()

    def drop_file(self, name, data, mode=0o744):
        path = os.path.join(self.maildrop(), name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def close(self):
        if self.fake:
            self.fake.close()
        self.inst.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def recs(*pairs):
    return b"".join(formats.record(t, p) for t, p in pairs)


GOOD_ENVELOPE = [("A", "rewrite_context=local"), ("F", "Joe User"),
                 ("S", "joe@example.org"), ("R", "rcpt@example.net")]
GOOD_CONTENT = [("M", ""), ("N", "Subject: test"), ("N", ""),
                ("N", "body"), ("X", ""), ("E", "")]


def payloads(records, rtype):
    return [p.decode() for t, p in records if t == rtype]


def check_received(records, uid, qid, hostname="host.example"):
    """pickup's Received: header right after M."""
    i = records.index(("M", b""))
    first, second = records[i + 1], records[i + 2]
    assert first == ("N", ("Received: by %s (Postern, from userid %d)" %
                           (hostname, uid)).encode()), first
    assert second[0] == "N" and re.match(
        rb"^\tid %s; \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} "
        rb"\(\w+\)$" % qid.encode(), second[1]), second


# --- sendmail -> postdrop -> pickup, with the stand-in cleanup ---

def test_sendmail_to_pickup():
    with Submit().start() as s:
        res = s.sendmail(["-f", "sender@example.org", "-F", "Full Name",
                          "r1@example.net", "Two <r2@example.net>"],
                         b"Subject: hello\n\nbody line\n")
        assert res.returncode == 0, res
        assert res.stderr == b"", res.stderr
        wait_for(lambda: s.fake.complete_sessions(), what="pickup -> cleanup")
        qid, flags, records, _ = s.fake.complete_sessions()[0]
        # What Postfix 3.7's pickup asks for.
        assert flags == "627", flags
        uid = os.getuid()
        check_received(records, uid, qid)
        assert records[0][0] == "T" and re.match(rb"^\d+ \d+$", records[0][1])
        assert [r for r in records[1:] if r[0] != "N" or
                not r[1].startswith((b"Received:", b"\tid "))] == [
            ("A", b"rewrite_context=local"), ("F", b"Full Name"),
            ("S", b"sender@example.org"), ("R", b"r1@example.net"),
            ("R", b"r2@example.net"), ("M", b""), ("N", b"Subject: hello"),
            ("N", b""), ("N", b"body line"), ("X", b""), ("E", b"")], records
        s.inst.wait_log("%s: uid=%d from=<sender@example.org>" % (qid, uid))
        wait_for(lambda: s.maildrop_files() == [], what="maildrop empty")


def test_sendmail_options_on_the_wire():
    with Submit().start() as s:
        user = current_user()
        msg = (b"From someone Mon Jan  1 00:00:00 2024\r\n"
               b"To: \"Doe, John\" <a@x.example>, b@y.example\r\n"
               b"Cc: group: c@z.example;\r\nBcc: d@w.example\r\n"
               b"Subject: t\r\n\r\nline\r\n..dot\r\n.\r\nnot sent\r\n")
        res = s.sendmail(["-t", "-N", "success,delay", "-R", "hdrs",
                          "-V", "env1", "-B", "8BITMIME", "-G",
                          "extra@x.example"], msg,
                         env=dict(os.environ, NAME="Env Name"))
        assert res.returncode == 0, res
        wait_for(lambda: s.fake.complete_sessions(), what="pickup -> cleanup")
        qid, flags, records, _ = s.fake.complete_sessions()[0]
        check_received(records, os.getuid(), qid)
        body = [r for r in records[1:] if not (r[0] == "N" and r[1].startswith(
            (b"Received:", b"\tid ")))]
        assert body == [
            ("A", b"envelope_id=env1"), ("A", b"ret_flags=2"),
            ("A", b"rewrite_context=remote"), ("F", b"Env Name"),
            ("S", user.encode()), ("A", b"encoding=8bit"),
            ("A", b"notify_flags=10"), ("R", b"extra@x.example"), ("M", b""),
            ("N", b"To: \"Doe, John\" <a@x.example>, b@y.example"),
            ("N", b"Cc: group: c@z.example;"), ("N", b"Bcc: d@w.example"),
            ("N", b"Subject: t"), ("N", b""), ("N", b"line"), ("N", b"..dot"),
            ("X", b""),
            ("A", b"notify_flags=10"), ("R", b"a@x.example"),
            ("A", b"notify_flags=10"), ("R", b"b@y.example"),
            ("A", b"notify_flags=10"), ("R", b"c@z.example"),
            ("A", b"notify_flags=10"), ("R", b"d@w.example"),
            ("E", b"")], body


def test_sendmail_dots_long_lines_and_last_line():
    with Submit("line_length_limit = 100\n").start() as s:
        long_line = b"x" * 250
        res = s.sendmail(["-i", "r@example.net"],
                         b"Subject: d\n\n.\n" + long_line + b"\nend")
        assert res.returncode == 0, res
        wait_for(lambda: s.fake.complete_sessions(), what="pickup -> cleanup")
        records = s.fake.complete_sessions()[0][2]
        i = records.index(("N", b"Subject: d"))
        assert records[i + 1:] == [
            ("N", b""), ("N", b"."), ("L", b"x" * 100), ("L", b"x" * 100),
            ("N", b"x" * 50), ("L", b"end"), ("X", b""), ("E", b"")], records


def test_sendmail_refusals():
    with Submit().start() as s:
        res = s.sendmail([], b"Subject: x\n\n")
        assert res.returncode == EX_USAGE, res
        assert b"Recipient addresses must be specified" in res.stderr
        res = s.sendmail(["-t"], b"Subject: no recipients\n\nx\n")
        assert res.returncode == EX_DATAERR, res
        assert b"No recipient addresses found in message header" in res.stderr
        res = s.sendmail(["-Z", "r@x"], b"")
        assert res.returncode == EX_USAGE and b"invalid option" in res.stderr
        for args, word in ((["-bp"], b"mailq"), (["-bs"], b"SMTP"),
                           (["-I"], b"newaliases"), (["-bv", "r@x"], b"-bv"),
                           (["-qRexample.com"], b"-qR")):
            res = s.sendmail(args, b"")
            assert res.returncode == EX_UNAVAILABLE, (args, res)
            assert word in res.stderr, (args, res.stderr)
        # mailq under its own name.
        mailq = os.path.join(s.inst.dir, "mailq")
        os.symlink(program("sendmail"), mailq)
        res = s.sendmail([], b"", sendmail=mailq)
        assert res.returncode == EX_UNAVAILABLE and b"-bp" in res.stderr
        # Nothing was queued, nothing was left behind.
        assert s.maildrop_files() == []
        assert s.fake.sessions == []


def test_sendmail_without_postdrop():
    with Submit("command_directory = /nonexistent\n").start() as s:
        res = s.sendmail(["r@x"], b"Subject: x\n\n")
        assert res.returncode == EX_UNAVAILABLE, res
        assert b"/nonexistent/postdrop" in res.stderr, res.stderr


def test_sendmail_q_flushes():
    with Submit().start() as s:
        # No queue manager: the mail system is down for -q.
        res = s.sendmail(["-q"], b"")
        assert res.returncode == EX_UNAVAILABLE, res
        assert b"cannot flush the mail queue" in res.stderr, res.stderr
        got = []
        qmgr = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        qmgr.bind(s.inst.socket_path("qmgr", private=False))
        qmgr.listen(1)
        qmgr.settimeout(10)

        def serve():
            try:
                conn, _ = qmgr.accept()
            except OSError:
                return
            got.append(conn.recv(100))
            conn.close()
        t = threading.Thread(target=serve, daemon=True)
        t.start()
        # A file waiting in maildrop shows that pickup got its W as well.
        s.drop_file("WAITING1", recs(*(GOOD_ENVELOPE + GOOD_CONTENT)),
                    mode=0o744)
        res = s.sendmail(["-q"], b"")
        t.join(10)
        qmgr.close()
        assert res.returncode == 0, res
        assert got == [b"FADI"], got
        wait_for(lambda: s.fake.complete_sessions(), what="pickup woken up")
        res = s.sendmail(["-q30m"], b"")
        assert res.returncode == 0, res


# --- postdrop on its own ---

def test_postdrop_protocol_and_file():
    # No pickup: the file stays for us to read.
    with Submit(fake=False, master_cf="").start() as s:
        data = recs(*(GOOD_ENVELOPE + GOOD_CONTENT))
        env = dict(os.environ, MAIL_CONFIG=s.inst.etc)
        p = subprocess.Popen([program("postdrop"), "-r"], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        # The announcement comes first, before any input.
        out = b""
        while not out.endswith(b"\0\0"):
            chunk = p.stdout.read1(100)
            if not chunk:
                p.kill()
                raise AssertionError("no announcement: %s" %
                                     p.stderr.read().decode())
            out += chunk
        ann = parse_attr_lists(out)[0]
        assert ann["protocol"] == "postdrop_protocol", ann
        qid = ann["queue_id"]
        assert re.match(r"^[0-9A-F]+$", qid), qid
        # The answer comes after E, while our end is still open.
        p.stdin.write(data)
        p.stdin.flush()
        answer = b""
        while answer.count(b"\0") < 5:
            chunk = p.stdout.read1(100)
            if not chunk:
                p.kill()
                raise AssertionError("postdrop closed without an answer")
            answer += chunk
        assert parse_attr_lists(answer)[0] == {"status": "0", "reason": ""}
        p.stdin.close()
        assert p.wait(10) == 0
        path = os.path.join(s.maildrop(), qid)
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o744, oct(st.st_mode)
        assert st.st_uid == os.getuid()
        got = formats.queue_file(path)
        assert got[0][0] == "T" and re.match(rb"^\d+ \d+$", got[0][1])
        assert got[1:] == [(t, p.encode()) for t, p in
                           GOOD_ENVELOPE + GOOD_CONTENT], got


def test_postdrop_refuses_bad_input():
    cases = [
        ("garbage", b"hello world, this is not a record stream\n" * 3,
         b"malformed input"),
        ("size record", recs(("C", "x"), *(GOOD_ENVELOPE + GOOD_CONTENT)),
         b"unexpected record type 67 (C)"),
        ("recipient in content",
         recs(*(GOOD_ENVELOPE + [("M", ""), ("R", "x"), ("X", ""),
                                 ("E", "")])),
         b"record type 82 (R) in the message content"),
        ("record too long",
         recs(*(GOOD_ENVELOPE + [("M", ""), ("N", "y" * 3000), ("X", ""),
                                 ("E", "")])),
         b"malformed input"),
    ]
    # No pickup: a file that postdrop left would stay for us to see.
    with Submit(fake=False, master_cf="").start() as s:
        for name, data, why in cases:
            res = s.postdrop(data)
            assert res.returncode == EX_DATAERR, (name, res)
            lists = parse_attr_lists(res.stdout)
            assert lists[0]["protocol"] == "postdrop_protocol", name
            assert lists[1]["status"] == "1", (name, lists)
            assert why in res.stderr, (name, res.stderr)
            assert s.maildrop_files() == [], name
        # A client that gives up: no answer, no file.
        res = s.postdrop(recs(*GOOD_ENVELOPE))
        assert res.returncode == EX_DATAERR, res
        assert len(parse_attr_lists(res.stdout)) == 1
        assert s.maildrop_files() == []
        # A forged origin attribute is left out with a warning.
        res = s.postdrop(recs(("A", "log_client_name=evil.example"),
                              *(GOOD_ENVELOPE + GOOD_CONTENT)))
        assert res.returncode == 0, res
        assert b"ignoring attribute record: log_client_name" in res.stderr
        [name] = s.maildrop_files()
        got = formats.queue_file(os.path.join(s.maildrop(), name))
        assert ("A", b"log_client_name=evil.example") not in got


def test_postdrop_refuses_oversized_input():
    with Submit("message_size_limit = 2000\n").start() as s:
        big = b"Subject: big\n\n" + (b"x" * 70 + b"\n") * 100
        res = s.sendmail(["r@example.net"], big)
        assert res.returncode == EX_DATAERR, res
        assert b"message too large" in res.stderr, res.stderr
        assert s.maildrop_files() == []
        # Just under the limit goes through.
        res = s.sendmail(["r@example.net"], b"Subject: small\n\nsmall\n")
        assert res.returncode == 0, res
        wait_for(lambda: s.fake.complete_sessions(), what="small message")
        assert len(s.fake.sessions) == 1
        s.inst.wait_log("message too large (message_size_limit = 2000)")


def test_postdrop_setgid_trusts_only_known_config():
    if os.getuid() != 0:
        raise Skip("not root")
    try:
        gid = grp.getgrnam("postdrop").gr_gid
        pwd.getpwnam("nobody")
    except KeyError:
        raise Skip("no postdrop group or nobody account")
    with Submit().start() as s:
        # A setgid copy, reachable by nobody.
        sgdir = os.path.join(s.inst.dir, "setgid")
        os.makedirs(sgdir)
        copy = os.path.join(sgdir, "postdrop")
        shutil.copy(program("postdrop"), copy)
        os.chown(copy, 0, gid)
        os.chmod(copy, 0o2755)
        for d in (s.inst.dir, sgdir, s.inst.etc):
            os.chmod(d, 0o755)
        os.chmod(os.path.join(s.inst.etc, "main.cf"), 0o644)
        env = dict(os.environ, MAIL_CONFIG=s.inst.etc)
        res = subprocess.run([copy, "-r"], input=recs(*(GOOD_ENVELOPE +
                                                        GOOD_CONTENT)),
                             capture_output=True, env=env, timeout=30,
                             user="nobody")
        assert b"untrusted configuration directory" in res.stderr, res.stderr
        # In a sanitizer build LeakSanitizer, which cannot work in a setgid
        # process, ends it with a status of its own.
        if b"LeakSanitizer" not in res.stderr:
            assert res.returncode == EX_NOPERM, res
        assert s.maildrop_files() == []


# --- pickup and bad maildrop files ---

def test_pickup_malformed_files_removed():
    bad = {
        "GARBAGE1": (b"\x00\xffgarbage bytes \x01\x02\x03" * 20,
                     "corrupt record"),
        "WRONGTYPE1": (recs(("T", "1 2"), ("S", "s"), ("D", "done"),
                            *GOOD_CONTENT), "record type 68 (D)"),
        "TRUNCATED1": (recs(("T", "1 2"), *(GOOD_ENVELOPE + GOOD_CONTENT))[:-4],
                       "no end record"),
        "EMPTY1": (b"", "no end record"),
    }
    with Submit().start() as s:
        for name, (data, _) in bad.items():
            s.drop_file(name, data)
        s.drop_file("INCOMPLETE1", recs(*(GOOD_ENVELOPE + GOOD_CONTENT)),
                    mode=0o644)
        os.symlink("/etc/passwd", os.path.join(s.maildrop(), "SYMLINK1"))
        s.trigger_pickup()
        for name, (_, why) in bad.items():
            s.inst.wait_log("maildrop/%s: uid=%d: malformed maildrop file: "
                            % (name, os.getuid()))
            assert why in [l for l in s.inst.log().splitlines()
                           if "maildrop/%s:" % name in l][0], name
        s.inst.wait_log("maildrop/SYMLINK1: file is a symbolic link -- removed")
        wait_for(lambda: s.maildrop_files() == ["INCOMPLETE1"],
                 what="bad files removed, the incomplete one kept")
        # cleanup got nothing it could queue.
        assert s.fake.complete_sessions() == [], s.fake.sessions
        # pickup is alive and well: the next message goes through.
        res = s.sendmail(["r@example.net"], b"Subject: after\n\nok\n")
        assert res.returncode == 0, res
        wait_for(lambda: s.fake.complete_sessions(), what="good message")
        log = s.inst.log()
        assert "exit status" not in log and "killed by signal" not in log, log
        assert os.path.exists("/etc/passwd")


def test_pickup_waits_for_cleanup():
    with Submit(fake=False).start() as s:
        res = s.sendmail(["r@example.net"], b"Subject: wait\n\nx\n")
        assert res.returncode == 0, res
        s.inst.wait_log("connect to public/cleanup")
        assert len(s.maildrop_files()) == 1
        # cleanup arrives; the next wakeup delivers.
        s.fake = FakeCleanup(s.cleanup_path())
        s.trigger_pickup()
        wait_for(lambda: s.fake.complete_sessions(), what="retry")
        wait_for(lambda: s.maildrop_files() == [], what="file removed")


def test_pickup_cleanup_refusals():
    with Submit().start() as s:
        s.fake.status = 256  # DEFER: keep the file
        res = s.sendmail(["r@example.net"], b"Subject: defer\n\nx\n")
        assert res.returncode == 0, res
        # pickup may try more than once (postdrop's trigger and master's
        # wakeup race): the queue IDs the fake hands out are not counted.
        s.inst.wait_log(": service unavailable -- will retry")
        assert len(s.maildrop_files()) == 1
        s.fake.status = 64  # RCPT: the message is unusable
        s.trigger_pickup()
        s.inst.wait_log(": no recipients specified -- file removed")
        wait_for(lambda: s.maildrop_files() == [], what="file removed")


# --- end to end, with a real cleanup ---

def ours_cleanup_instance():
    """A Submit with Postern's own cleanup."""
    if not our_cleanup():
        raise Skip("Postern's cleanup is not built")
    progs = ["pickup", "postdrop", "sendmail", "cleanup"]
    mcf = MASTER_CF + "cleanup unix n - n - 0 cleanup\n"
    if "trivial-rewrite" in PROGRAMS and \
            os.path.exists(program("trivial-rewrite")):
        progs.append("trivial-rewrite")
        mcf += "rewrite unix - - n - - trivial-rewrite\n"
    return Submit(fake=False, master_cf=mcf, programs=progs)


def postfix_cleanup_instance():
    """A Submit with Debian Postfix's cleanup and trivial-rewrite."""
    why = postfix_unavailable()
    if why:
        raise Skip(why)
    s = Submit(fake=False, master_cf="")
    postfix_instance(s, MASTER_CF +
                     "cleanup unix n - n - 0 cleanup -o maillog_file=\n"
                     "rewrite unix - - n - - trivial-rewrite "
                     "-o maillog_file=\n",
                     ("cleanup", "trivial-rewrite"))
    return s


def postfix_instance(s, master_cf, pf_programs, extra=""):
    """Make s a postfix-style instance (mail_owner postfix) running the
    named Postfix daemons beside ours. Postfix's programs accept
    maillog_file only under maillog_file_prefixes."""
    import test_mixed as tm
    inst = s.inst
    os.makedirs(os.path.join(inst.dir, "data"), exist_ok=True)
    for name in pf_programs:
        os.symlink(os.path.join(PF_SBIN, name),
                   os.path.join(inst.libexec, name))
    tm.make_world_readable(inst)
    with open(os.path.join(inst.etc, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\n"
                "queue_directory = %s\n"
                "daemon_directory = %s\n"
                "command_directory = %s\n"
                "data_directory = %s/data\n"
                "mail_owner = postfix\n"
                "setgid_group = postdrop\n"
                "myhostname = %s\n"
                "myorigin = origin.example\n"
                "inet_interfaces = 127.0.0.1\n"
                "inet_protocols = ipv4\n"
                "maillog_file = %s\n"
                "maillog_file_prefixes = %s\n" %
                (inst.spool, inst.libexec, inst.libexec, inst.dir,
                 s.hostname, inst.maillog, os.path.dirname(inst.dir)) + extra)
    inst.write_master_cf(master_cf)
    for f in ("main.cf", "master.cf"):
        os.chmod(os.path.join(inst.etc, f), 0o644)
    subprocess.run([program("postern"), "-c", inst.etc, "check"], check=True,
                   capture_output=True)


def incoming_files(s):
    d = os.path.join(s.inst.spool, "incoming")
    out = []
    for name in os.listdir(d):
        st = os.stat(os.path.join(d, name))
        if stat.S_IMODE(st.st_mode) & 0o700 == 0o700:
            out.append(name)
    return out


def test_end_to_end_queue_files():
    """sendmail -> postdrop -> pickup -> our cleanup -> incoming/."""
    end_to_end(ours_cleanup_instance())


def test_mixed_end_to_end_postfix_cleanup():
    """The same through Debian Postfix's cleanup under our master."""
    end_to_end(postfix_cleanup_instance())


def end_to_end(s):
    with s:
        s.start()
        messages = [
            (["-f", "sender@example.org", "-F", "Full Name", "-i",
              "one@example.net", "two@example.net"],
             b"Subject: plain\n\nbody\n.\nstill body\n", "plain"),
            (["-t"], b"To: t1@example.net\nCc: Two <t2@example.net>\n"
             b"Subject: extract\n\nhello\n", "extract"),
            ([ "local-rcpt@example.net"], b"Subject: bare sender\n\nx\n.\n"
             b"not sent\n", "bare sender"),
        ]
        for args, msg, _ in messages:
            res = s.sendmail(args, msg)
            assert res.returncode == 0, res
        wait_for(lambda: len(incoming_files(s)) == 3, timeout=20,
                 what="three queue files in incoming/")
        files = {}
        for name in incoming_files(s):
            recs_ = formats.queue_file(os.path.join(s.inst.spool, "incoming",
                                                    name))
            subject = [p for t, p in recs_ if t == "N" and
                       p.startswith(b"Subject: ")][0].decode()[9:]
            files[subject] = (name, recs_)
        user = current_user()
        uid = os.getuid()
        # plain: -f, -F, command-line recipients, -i keeps the dot line.
        name, r = files["plain"]
        assert r[0][0] == "C" and r[1][0] == "T", r[:2]
        assert payloads(r, "S") == ["sender@example.org"], r
        assert payloads(r, "F") == ["Full Name"], r
        assert payloads(r, "R") == ["one@example.net", "two@example.net"], r
        text = [p for t, p in r if t == "N"]
        assert b"Received: by host.example (Postern, from userid %d)" % uid \
            in text, text
        assert b"\tid %s; " % name.encode() in [p[:len(name) + 6]
                                                 for p in text], text
        assert text[-3:] == [b"body", b".", b"still body"], text
        assert r[-1] == ("E", b""), r
        # extract: the header recipients, the sender qualified by cleanup.
        name, r = files["extract"]
        assert sorted(payloads(r, "R")) == ["t1@example.net",
                                            "t2@example.net"], r
        assert payloads(r, "S") == ["%s@origin.example" % user], r
        # bare sender, dot ends the message.
        name, r = files["bare sender"]
        assert payloads(r, "R") == ["local-rcpt@example.net"], r
        text = [p for t, p in r if t == "N"]
        assert text[-1] == b"x" and b"not sent" not in text, text
        # pickup removes each maildrop file once cleanup has answered.
        wait_for(lambda: s.maildrop_files() == [], what="maildrop empty")
        for name in files.values():
            s.inst.wait_log("%s: uid=%d from=<" % (name[0], uid))


# --- mixed mode with Debian's Postfix 3.7 ---

def mixed_instance(pf_programs, master_cf):
    why = postfix_unavailable()
    if why:
        raise Skip(why)
    s = Submit(fake=True, master_cf="")
    # A small size limit lets Postfix's postdrop refuse a message quickly.
    postfix_instance(s, master_cf, pf_programs, "message_size_limit = 5000\n")
    return s


def test_mixed_postfix_sendmail_our_postdrop_postfix_pickup():
    """Debian's sendmail -> our postdrop -> Postfix's pickup accepts it."""
    s = mixed_instance(("postlogd",),
                       "pickup unix n - n 60 1 pickup\n"
                       "postlog unix-dgram n - n - 1 postlogd\n")
    with s:
        # Postfix's pickup, under our master, from Debian's package.
        os.unlink(os.path.join(s.inst.libexec, "pickup"))
        os.symlink(os.path.join(PF_SBIN, "pickup"),
                   os.path.join(s.inst.libexec, "pickup"))
        s.start()
        res = s.sendmail(["-f", "pf@example.org", "-t", "cmd@example.net"],
                         b"To: hdr@example.net\nSubject: pf sendmail\n\nbody\n",
                         sendmail=PF_SENDMAIL)
        assert res.returncode == 0, res
        wait_for(lambda: s.fake.complete_sessions(), what="Postfix's pickup")
        qid, flags, records, _ = s.fake.complete_sessions()[0]
        assert flags == "627", flags
        body = [r for r in records if not (r[0] == "N" and r[1].startswith(
            (b"Received:", b"\tid ")))]
        assert body[0][0] == "T", body
        assert body[1:] == [
            ("A", b"rewrite_context=local"), ("F", b"root"),
            ("S", b"pf@example.org"), ("R", b"cmd@example.net"), ("M", b""),
            ("N", b"To: hdr@example.net"), ("N", b"Subject: pf sendmail"),
            ("N", b""), ("N", b"body"), ("X", b""),
            ("R", b"hdr@example.net"), ("E", b"")], body
        assert b"Received: by %s (Postfix, from userid 0)" % \
            s.hostname.encode() in \
            [p for t, p in records], records
        s.inst.wait_log("%s: uid=0 from=<pf@example.org>" % qid)
        wait_for(lambda: s.maildrop_files() == [], what="maildrop empty")


def test_mixed_our_sendmail_postfix_postdrop_our_pickup():
    """Our sendmail -> Debian's postdrop -> our pickup accepts it."""
    s = mixed_instance((), MASTER_CF)
    with s:
        os.unlink(os.path.join(s.inst.libexec, "postdrop"))
        os.symlink(PF_POSTDROP, os.path.join(s.inst.libexec, "postdrop"))
        s.start()
        res = s.sendmail(["-f", "ours@example.org", "-t", "-N", "failure",
                          "cmd@example.net"],
                         b"To: hdr@example.net\nSubject: our sendmail\n\nx\n")
        assert res.returncode == 0, res
        wait_for(lambda: s.fake.complete_sessions(), what="our pickup")
        qid, flags, records, _ = s.fake.complete_sessions()[0]
        check_received(records, 0, qid)
        body = [r for r in records if not (r[0] == "N" and r[1].startswith(
            (b"Received:", b"\tid ")))]
        assert body[0][0] == "T", body
        assert body[1:] == [
            ("A", b"rewrite_context=local"), ("F", b"root"),
            ("S", b"ours@example.org"), ("A", b"notify_flags=4"),
            ("R", b"cmd@example.net"), ("M", b""),
            ("N", b"To: hdr@example.net"), ("N", b"Subject: our sendmail"),
            ("N", b""), ("N", b"x"), ("X", b""), ("A", b"notify_flags=4"),
            ("R", b"hdr@example.net"), ("E", b"")], body
        s.inst.wait_log("%s: uid=0 from=<ours@example.org>" % qid)
        # Postfix's postdrop refuses what it must refuse, and our sendmail
        # reports its answer.
        res = s.sendmail(["r@example.net"], b"Subject: x\n\n" +
                         b"y" * 20000)
        assert res.returncode == EX_DATAERR, res
        assert b"message file too big" in res.stderr, res.stderr


FAKE_POSTDROP = r'''#!%s
import os, sys
d = os.path.join(os.environ["MAIL_CONFIG"], "..", "fakepd")
os.makedirs(d, exist_ok=True)
n = len(os.listdir(d))
out = sys.stdout.buffer
out.write(b"protocol\0postdrop_protocol\0queue_id\0FAKEPD\0\0")
out.flush()
data = b""
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    data += chunk
    if data.endswith(b"E\0"):
        break
with open(os.path.join(d, "%%d" %% n), "wb") as f:
    f.write(data)
out.write(b"status\0" + b"0\0reason\0\0\0")
out.flush()
'''


def test_mixed_same_records_as_postfix_sendmail():
    """For the same input and options both sendmails send postdrop the
    same records."""
    why = postfix_unavailable()
    if why:
        raise Skip(why)
    s = Submit(fake=False, master_cf="")
    with s:
        postfix_instance(s, "", ())
        fake = os.path.join(s.inst.libexec, "postdrop")
        os.unlink(fake)
        with open(fake, "w") as f:
            f.write(FAKE_POSTDROP % sys.executable)
        os.chmod(fake, 0o755)
        store = os.path.join(s.inst.dir, "fakepd")
        cases = [
            (["r@x"], b"Subject: a\n\nbody\n.\nafter\n"),
            (["-i", "r@x"], b"Subject: a\r\n\r\n..x\r\n.\r\nafter\r\nlast"),
            (["-t"], b"From x Mon\nTo: \"D, J\" <a@x>, (c) b@y,\n g: c@z;\n"
             b"Cc: Bob <bob>\nBcc: \"q l\"@q\nResent-Bcc: <@r.example:rt@z>\n"
             b"\nbody\n"),
            (["-f", "<s@x>", "-F", "Full Name", "r1@x", "Two <r2@y>, r3@z"],
             b"Subject: b\n\n" + b"z" * 5000 + b"\n" + b"w" * 4096 + b"\n"),
            (["-f", "", "-N", "success, delay", "-R", "full", "-V", "env1",
              "-B", "7BIT", "-v", "-G", "r@x"], b"\n"),
            (["-f", "s@x", "-XV", "-N", "delay", "-B", "8BITMIME", "-v",
              "r@x"], b"Subject: verp\n\n"),
            (["-f", "s@x", "-XV-=", "r@x"], b"Subject: v\n\n"),
            (["-f", "s@x", "-V", "ab", "r@x"], b"Subject: old -V\n\n"),
            (["-oi", "-oem", "-t", "-N", "never", "x@y"],
             b"To: a@b\nSubject: c\n\n"),
            (["r@x"], b""),
        ]
        env = dict(os.environ, NAME="")
        env.pop("NAME")
        for args, msg in cases:
            got = []
            for sm in (PF_SENDMAIL, program("sendmail")):
                before = len(os.listdir(store)) if os.path.isdir(store) else 0
                res = s.sendmail(args, msg, sendmail=sm, env=env)
                assert res.returncode == 0, (sm, args, res)
                path = os.path.join(store, "%d" % before)
                with open(path, "rb") as f:
                    got.append(formats.read_records(f.read()))
            assert got[0] == got[1], (args, got)


if __name__ == "__main__":
    run_tests(globals())
