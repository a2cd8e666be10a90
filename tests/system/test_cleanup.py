#!/usr/bin/env python3
"""test_cleanup - the cleanup daemon through its real socket.

Our master runs our cleanup (public/cleanup, maxproc 0) in a temporary
instance; each test speaks Postfix 3.7's cleanup protocol to it with the
record and attribute helpers of formats.py, then reads the queue file
back record by record: the order of the records, the size record's six
fields (recomputed here from the file), the mode, the headers cleanup
adds and removes, line splitting, the log lines. Failures (hop count,
size, malformed records, a client that goes away, no recipients) must
leave no file behind. Debian Postfix's postcat, when installed, must
print our files.
"""
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time

from harness import Instance, Skip, run_tests, wait_for
import formats

R = formats.record
HOST = "cleanup.example"
QUEUES = ("incoming", "active", "deferred", "hold", "corrupt", "defer",
          "bounce", "trace")
POSTCAT = "/usr/sbin/postcat"

STAT_BAD, STAT_SIZE, STAT_HOPS, STAT_RCPT = 1, 4, 16, 64
FLAG_HOLD, FLAG_DISCARD, FLAG_SMTPUTF8 = 4, 8, 256
EXTERNAL = 114  # FILTER|BCC_OK|MAP_OK|MILTER, what qmqpd sends

TRACE = [R("N", "Received: by client.example (Postfix, from userid 0)"),
         R("N", "\tid X; Mon, 1 Jan 2024 00:00:00 +0000 (UTC)")]


class Cleanup:
    """An instance running our cleanup, and a client for it."""

    def __init__(self, main_cf="", qmgr=False, bounce=False):
        master_cf = "cleanup unix n - n - 0 cleanup\n"
        programs = ("cleanup",)
        if bounce:
            master_cf += "bounce unix - - n - 0 bounce\n"
            programs += ("bounce",)
        self.inst = Instance(master_cf,
                             main_cf="myhostname = %s\n" % HOST + main_cf,
                             programs=programs)
        for q in QUEUES:
            os.makedirs(os.path.join(self.inst.spool, q), mode=0o700)
        self.triggers = []
        self.qmgr = None
        if qmgr:
            self.fake_qmgr()

    def fake_qmgr(self):
        """public/qmgr: record each trigger with what incoming/ held."""
        os.makedirs(os.path.join(self.inst.spool, "public"), exist_ok=True)
        path = self.inst.socket_path("qmgr", private=False)
        self.qmgr = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.qmgr.bind(path)
        self.qmgr.listen(10)

        def serve():
            while True:
                try:
                    conn, _ = self.qmgr.accept()
                except OSError:
                    return
                data = conn.recv(1024)
                conn.close()
                self.triggers.append((data, self.incoming_state()))

        threading.Thread(target=serve, daemon=True).start()

    def incoming_state(self):
        """{id: (mode, ends with E)} for every file in incoming/."""
        out = {}
        d = os.path.join(self.inst.spool, "incoming")
        for name in os.listdir(d):
            try:
                mode = stat.S_IMODE(os.stat(os.path.join(d, name)).st_mode)
                recs = formats.queue_file(os.path.join(d, name))
            except (OSError, ValueError, IndexError):
                out[name] = (None, False)
                continue
            out[name] = (mode, bool(recs) and recs[-1][0] == "E")
        return out

    def start(self):
        self.inst.start()
        return self

    def path(self, qid, queue="incoming"):
        return os.path.join(self.inst.spool, queue, qid)

    def files(self, queue="incoming"):
        return sorted(os.listdir(os.path.join(self.inst.spool, queue)))

    def connect(self):
        """Connect; return (socket, queue ID, the raw announcement)."""
        s = formats.connect_unix(self.inst.socket_path("cleanup",
                                                       private=False))
        raw = b""
        while not raw.endswith(b"\0\0"):
            data = s.recv(1)
            if not data:
                raise EOFError("no announcement")
            raw += data
        fields = raw[:-2].split(b"\0")
        assert fields[0] == b"protocol" and fields[2] == b"queue_id", raw
        return s, fields[3].decode(), raw

    def submit(self, records, flags=0):
        """Send one message; return (queue ID, status, reason)."""
        s, qid, _ = self.connect()
        try:
            s.sendall(formats.attr_list([("flags", flags)]))
            try:
                s.sendall(b"".join(records))
            except (BrokenPipeError, ConnectionResetError):
                pass  # cleanup answered early (a framing error)
            reply = formats.AttrReader(s).read_list()
        finally:
            s.close()
        return qid, int(reply["status"]), reply.get("reason")

    def log(self):
        return self.inst.log()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.qmgr:
            self.qmgr.close()
        self.inst.cleanup()


def message(headers, body=(b"body",), rcpts=(b"rcpt@example.com",),
            sender=b"sender@example.org", extra_env=(), extracted=(),
            context=b"local", trace=True):
    recs = [R("T", "1700000000 5")]
    if context:
        recs.append(R("A", b"rewrite_context=" + context))
    recs += list(extra_env)
    recs.append(R("S", sender))
    recs += [R("R", r) for r in rcpts]
    recs.append(R("M"))
    if trace:
        recs += TRACE
    recs += [R("N", h) for h in headers]
    recs.append(R("N", ""))
    recs += [R("N", b) for b in body]
    recs.append(R("X"))
    recs += list(extracted)
    recs.append(R("E"))
    return recs


def raw_records(path):
    """[(type, payload, offset of the record, offset after it)]."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    pos = 0
    while pos < len(data):
        start = pos
        rtype, payload, pos = formats.read_record(data, pos)
        out.append((rtype, payload, start, pos))
        if rtype == "E":
            break
    return out


def check_size_record(path, nrcpt, qmgr_flags=0, sendopts=0):
    """The C record's fields, recomputed from the file."""
    recs = raw_records(path)
    assert recs[0][0] == "C" and len(recs[0][1]) == 95, recs[0]
    fields = recs[0][1].split()
    assert recs[0][1] == b" ".join(b"%15d" % int(f) for f in fields)
    fields = [int(f) for f in fields]
    data_offset = [r[3] for r in recs if r[0] == "M"][0]
    xtra_offset = [r[2] for r in recs if r[0] == "X"][0]
    assert fields == [xtra_offset - data_offset, data_offset, nrcpt,
                      qmgr_flags, xtra_offset - data_offset, sendopts], \
        (fields, data_offset, xtra_offset)


def headers_of(recs):
    """The header lines (joined L...N) of a record list."""
    out = []
    in_content = False
    line = b""
    for rtype, payload in recs:
        if rtype == "M":
            in_content = True
            continue
        if not in_content or rtype not in "LN":
            continue
        line += payload
        if rtype == "N":
            if line == b"":
                break
            out.append(line)
            line = b""
    return out


def test_announcement_is_one_list():
    with Cleanup() as c:
        c.start()
        s, qid, raw = c.connect()
        s.close()
        # Exactly Postfix 3.7's: protocol and queue_id in one list.
        assert raw == (b"protocol\0cleanup_protocol\0queue_id\0" +
                       qid.encode() + b"\0\0"), raw
        assert re.match(r"^[0-9A-F]{6,}$", qid), qid
        wait_for(lambda: c.files() == [], what="the abandoned file to go")


def test_queue_file_record_by_record():
    with Cleanup(qmgr=True) as c:
        c.start()
        recs = message([b"Subject: hello"], body=[b"line one", b"", b"end"],
                       extra_env=[R("F", "Full Name")], trace=False)
        qid, status, reason = c.submit(recs, EXTERNAL)
        assert (status, reason) == (0, ""), (status, reason)
        path = c.path(qid)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
        got = formats.queue_file(path)
        ctime = [p for t, p in got if t == "A" and
                 p.startswith(b"create_time=")][0]
        assert abs(int(ctime.split(b"=")[1]) - time.time()) < 60
        msgid = [p for t, p in got if p.startswith(b"Message-Id: ")][0]
        m = re.match(rb"^Message-Id: <(\d{14})\.%s@%s>$" %
                     (qid.encode(), HOST.encode()), msgid)
        assert m, msgid
        received = [p for t, p in got if p.startswith(b"\tid ")][0]
        date = [p for t, p in got if p.startswith(b"Date: ")][0]
        # The arrival time (T), in local time.
        assert date.startswith(time.strftime(
            "Date: %a, %d %b %Y %H:%M:%S ",
            time.localtime(1700000000)).encode()), date
        assert received.startswith(b"\tid %s; " % qid.encode())
        want = [
            ("T", b"1700000000 5"),
            ("A", ctime),
            ("A", b"rewrite_context=local"),
            ("F", b"Full Name"),
            ("S", b"sender@example.org"),
            ("A", b"dsn_orig_rcpt=rfc822;rcpt@example.com"),
            ("O", b"rcpt@example.com"),
            ("R", b"rcpt@example.com"),
            ("M", b""),
            ("N", b"Received: by cleanup.example (Postern)"),
            ("N", received),
            ("N", b"Subject: hello"),
            ("N", msgid),
            ("N", date),
            ("N", b"From: Full Name <sender@example.org>"),
            ("N", b""),
            ("N", b"line one"),
            ("N", b""),
            ("N", b"end"),
            ("X", b""),
            ("E", b""),
        ]
        # read_records follows (skips) the dummy pointers; the raw file
        # has them after the recipients, the headers and the body.
        assert got[0][0] == "C"
        assert got[1:] == want, got
        raw = [r[0] for r in raw_records(path)]
        assert "".join(raw) == "CTAAFSAORpMNNNNNNpNNNNpXE", raw
        check_size_record(path, 1)
        c.inst.wait_log("%s: message-id=<%s.%s@%s>" % (
            qid, m.group(1).decode(), qid, HOST))
        # qmgr was told after the file was complete.
        wait_for(lambda: c.triggers, what="a trigger on public/qmgr")
        data, seen = c.triggers[0]
        assert data == b"W", data
        assert seen[qid] == (0o700, True), seen


def test_headers_added_removed_and_kept():
    with Cleanup() as c:
        c.start()
        # Local mail: Message-Id, Date, From added; trace-less client gets
        # our Received first; Return-Path, Bcc, Content-Length removed.
        qid, status, _ = c.submit(message(
            [b"Return-Path: <x@y>", b"Bcc: hidden@example.net",
             b"Content-Length: 12", b"To: bob, carol@example.net",
             b"X-Kept: yes"], sender=b"", trace=False))
        assert status == 0
        h = headers_of(formats.queue_file(c.path(qid)))
        assert h[0] == b"Received: by cleanup.example (Postern)", h
        assert h[2:4] == [b"To: bob@cleanup.example, carol@example.net",
                          b"X-Kept: yes"], h
        assert [x.split(b":")[0] for x in h[4:]] == \
            [b"Message-Id", b"Date", b"From"], h
        assert h[6] == b"From: MAILER-DAEMON", h
        # Remote mail: nothing added, addresses untouched; no message-id.
        mark = len(c.log())
        qid, status, _ = c.submit(message(
            [b"To: bob", b"Return-Path: <x@y>"], context=b"remote"))
        assert status == 0
        h = headers_of(formats.queue_file(c.path(qid)))
        assert h[2:] == [b"To: bob"], h
        c.inst.wait_log("%s: message-id=<>" % qid, since=mark)
        # A message with its own Message-Id is logged with it.
        mark = len(c.log())
        qid, status, _ = c.submit(message(
            [b"Message-ID: <own@example.org>", b"Date: x", b"From: y@z"]))
        assert status == 0
        h = headers_of(formats.queue_file(c.path(qid)))
        assert h[2:] == [b"Message-ID: <own@example.org>", b"Date: x",
                         b"From: y@z"], h
        c.inst.wait_log("%s: message-id=<own@example.org>" % qid, since=mark)


def test_always_add_missing_headers():
    with Cleanup("always_add_missing_headers = yes\n") as c:
        c.start()
        qid, status, _ = c.submit(message([], context=b"remote"))
        assert status == 0
        h = headers_of(formats.queue_file(c.path(qid)))
        assert [x.split(b":")[0] for x in h[2:]] == \
            [b"Message-Id", b"Date", b"From"], h


def test_long_lines_are_split():
    with Cleanup("line_length_limit = 100\n") as c:
        c.start()
        long_header = b"X-Long: " + b"h" * 250
        long_body = b"b" * 230
        qid, status, _ = c.submit(message([long_header], body=[long_body]))
        assert status == 0
        recs = formats.queue_file(c.path(qid))
        hdr = [(t, p) for t, p in recs if p.startswith(b"X-Long") or
               p.startswith(b"h")]
        assert hdr == [("L", long_header[:100]), ("L", long_header[100:200]),
                       ("N", long_header[200:])], hdr
        body = [(t, p) for t, p in recs if p and p[0:1] == b"b"]
        assert body == [("L", b"b" * 100), ("L", b"b" * 100),
                        ("N", b"b" * 30)], body
        check_size_record(c.path(qid), 1)


def test_hopcount_reject():
    with Cleanup("hopcount_limit = 5\n") as c:
        c.start()
        many = [b"Received: from hop%d" % i for i in range(5)]
        qid, status, _ = c.submit(message(many), EXTERNAL)
        assert status == STAT_HOPS, status
        assert c.files() == [], c.files()
        c.inst.wait_log("warning: %s: message rejected: hopcount exceeded" %
                        qid)
        # The limit itself is still fine: 1 + 4 Received headers.
        qid, status, _ = c.submit(message(many[:4]), EXTERNAL)
        assert status == 0 and c.files() == [qid]


def test_bounce_flag_returns_rejected_message_to_sender():
    """With CLEANUP_FLAG_BOUNCE (what pickup sends) a message refused for
    good is returned to its sender and the client is told it is done;
    without a bounce service the client gets the rejection."""
    flag_bounce = 1
    with Cleanup("hopcount_limit = 5\n", bounce=True) as c:
        c.start()
        many = [b"Received: from hop%d" % i for i in range(5)]
        qid, status, _ = c.submit(message(many, rcpts=(b"a@example.com",
                                                       b"b@example.com")),
                                  EXTERNAL | flag_bounce)
        assert status == 0, status
        c.inst.wait_log("%s: removed (returned to sender)" % qid)
        c.inst.wait_log("%s: sender non-delivery notification: " % qid)
        # The notice is the one file in incoming/, to the sender.
        wait_for(lambda: len(c.files()) == 1, what="the notice")
        recs = formats.queue_file(c.path(c.files()[0]))
        assert ("S", b"") in recs
        assert ("R", b"sender@example.org") in recs
        text = b"\n".join(p for t, p in recs if t in "NL")
        assert b"a@example.com" in text and b"b@example.com" in text
        assert b"5.4.0" in text and b"hopcount exceeded" in text
        assert qid not in c.files() and c.files("bounce") == []
    with Cleanup("hopcount_limit = 5\n") as c:
        c.start()
        many = [b"Received: from hop%d" % i for i in range(5)]
        qid, status, _ = c.submit(message(many), EXTERNAL | flag_bounce)
        assert status == STAT_HOPS, status
        assert c.files() == []


def test_size_reject():
    with Cleanup("message_size_limit = 2000\n") as c:
        c.start()
        qid, status, _ = c.submit(message([b"Subject: big"],
                                          body=[b"x" * 100] * 30))
        assert status == STAT_SIZE, status
        assert c.files() == []
        c.inst.wait_log("warning: %s: queue file size limit exceeded" % qid)
        qid, status, _ = c.submit(message([b"Subject: small"],
                                          body=[b"x" * 100] * 5))
        assert status == 0 and c.files() == [qid]


def test_client_disconnects_halfway():
    with Cleanup() as c:
        c.start()
        for cut in (0, 3, 10):
            s, qid, _ = c.connect()
            s.sendall(formats.attr_list([("flags", 0)]))
            recs = b"".join(message([b"Subject: s"] * 20))
            # Cut inside the records: before, in the envelope, in content.
            s.sendall(recs[:len(recs) * cut // 20])
            s.close()
            wait_for(lambda: c.files() == [],
                     what="the unfinished file to be removed")
        # A record cut in the middle of its payload, too.
        s, qid, _ = c.connect()
        s.sendall(formats.attr_list([("flags", 0)]) +
                  R("T", "1 2")[:-1])
        s.close()
        wait_for(lambda: c.files() == [], what="incoming/ to be empty")
        assert "warning: %s: message rejected" % qid not in c.log()


def test_hold_goes_to_hold_queue():
    with Cleanup(qmgr=True) as c:
        c.start()
        qid, status, _ = c.submit(message([b"Subject: held"]),
                                  EXTERNAL | FLAG_HOLD)
        assert status == 0
        assert c.files() == [] and c.files("hold") == [qid]
        assert stat.S_IMODE(os.stat(c.path(qid, "hold")).st_mode) == 0o700
        recs = formats.queue_file(c.path(qid, "hold"))
        assert recs[-1][0] == "E"
        check_size_record(c.path(qid, "hold"), 1)
        # An f record in the envelope asks for the same.
        qid2, status, _ = c.submit(message(
            [b"Subject: held"], extra_env=[R("f", "4")]), EXTERNAL)
        assert status == 0 and qid2 in c.files("hold")
        # A held message is nothing for the queue manager: the only
        # trigger is the one for the next, ordinary message (cleanup
        # triggers before it answers, so a trigger for a held one would
        # have come first).
        qid3, status, _ = c.submit(message([]), EXTERNAL)
        assert status == 0
        wait_for(lambda: c.triggers, what="the trigger for the third")
        assert [set(seen) for data, seen in c.triggers] == [{qid3}], \
            c.triggers


def test_discard():
    with Cleanup() as c:
        c.start()
        qid, status, _ = c.submit(message([b"Subject: gone"]),
                                  EXTERNAL | FLAG_DISCARD)
        assert status == 0
        assert c.files() == [] and c.files("hold") == []
        c.inst.wait_log("%s: removed (discarded)" % qid)


def test_malformed_records():
    env = [R("T", "1 2"), R("S", "s@x"), R("R", "r@x")]
    content = [R("M")] + TRACE + [R("N", ""), R("X")]
    cases = [
        ("pointer record", env + [R("p", "%15d" % 0)] + content + [R("E")],
         "record type 112 not allowed"),
        ("padding record", env + [R("M"), R("w", "xx"), R("X"), R("E")],
         "record type 119 not allowed"),
        ("bad length", env + [b"N\xff\xff\xff\xff\x7f"],
         "length needs more than 4 bytes"),
        ("content in the envelope", env + [R("N", "x")] + content + [R("E")],
         "unexpected record type 78 in envelope"),
        ("end in the envelope", env + [R("E")],
         "unexpected record type 69 in envelope"),
        ("no sender", [R("T", "1 2"), R("R", "r@x")] + content + [R("E")],
         "missing sender envelope record"),
        ("no time", [R("S", "s@x"), R("R", "r@x")] + content + [R("E")],
         "missing time envelope record"),
        ("two senders", env + [R("S", "t@x")] + content + [R("E")],
         "multiple envelope sender records"),
        ("attribute without =", env + [R("A", "junk")] + content + [R("E")],
         "missing '=' after attribute name: junk"),
        ("size record from the client", [R("C", "1")] + env + content +
         [R("E")], None),
    ]
    with Cleanup() as c:
        c.start()
        for name, recs, warning in cases:
            mark = len(c.log())
            qid, status, _ = c.submit(recs)
            if warning is None:
                assert status == 0, (name, status)
                os.unlink(c.path(qid))
                continue
            assert status == STAT_BAD, (name, status)
            assert c.files() == [], (name, c.files())
            c.inst.wait_log(warning, since=mark)


def test_no_recipients():
    with Cleanup() as c:
        c.start()
        qid, status, _ = c.submit(message([], rcpts=()))
        assert status == STAT_RCPT, status
        assert c.files() == []


def test_extracted_recipients_and_bcc():
    """What Postfix's sendmail -t sends: recipients after X, Bcc kept in
    the headers for cleanup to remove."""
    with Cleanup() as c:
        c.start()
        ext = [R("R", "a@example.net"), R("A", "notify_flags=2"),
               R("R", "hidden@example.net"), R("R", "a@example.net")]
        qid, status, _ = c.submit(message(
            [b"To: a@example.net", b"Bcc: hidden@example.net"], rcpts=(),
            extracted=ext))
        assert status == 0
        path = c.path(qid)
        recs = formats.queue_file(path)
        x = [t for t, p in recs].index("X")
        assert recs[x + 1:] == [
            ("A", b"dsn_orig_rcpt=rfc822;a@example.net"),
            ("O", b"a@example.net"), ("R", b"a@example.net"),
            ("A", b"notify_flags=2"),
            ("A", b"dsn_orig_rcpt=rfc822;hidden@example.net"),
            ("O", b"hidden@example.net"), ("R", b"hidden@example.net"),
            ("E", b"")], recs[x:]
        assert b"Bcc: hidden@example.net" not in headers_of(recs)
        check_size_record(path, 2, qmgr_flags=2 << 1)


def test_delay_warning_record():
    with Cleanup("delay_warning_time = 4h\n") as c:
        c.start()
        qid, status, _ = c.submit(message([]))
        assert status == 0
        recs = formats.queue_file(c.path(qid))
        types = [t for t, p in recs]
        w = types.index("W")
        assert recs[w] == ("W", b"%15d" % (1700000000 + 4 * 3600))
        assert types[w - 1] == "S" and types[w + 1] == "A", types


def test_long_queue_ids():
    with Cleanup("enable_long_queue_ids = yes\n") as c:
        c.start()
        qid, status, _ = c.submit(message([]))
        assert status == 0
        assert re.match(r"^[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}z"
                        r"[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]+$", qid), qid
        h = headers_of(formats.queue_file(c.path(qid)))
        assert b"Message-Id: <%s@%s>" % (qid.encode(), HOST.encode()) in h


def test_sigterm_removes_unfinished_file():
    with Cleanup() as c:
        c.start()
        s, qid, _ = c.connect()
        s.sendall(formats.attr_list([("flags", 0)]) +
                  b"".join(message([])[:4]))
        wait_for(lambda: c.files() == [qid], what="the unfinished file")
        c.inst.stop()
        wait_for(lambda: c.files() == [], what="SIGTERM to remove it")
        s.close()


def test_one_process_serves_many_messages():
    with Cleanup() as c:
        c.start()
        for i in range(20):
            qid, status, _ = c.submit(message([b"Subject: %d" % i]))
            assert status == 0
        assert len(c.files()) == 20
        pids = set(re.findall(r"postern/cleanup\[(\d+)\]", c.log()))
        assert 1 <= len(pids) <= 20, pids


def postcat_config(tmpdir, spool):
    """A postfix-style main.cf for Debian's postcat."""
    etc = os.path.join(tmpdir, "postfix-etc")
    os.makedirs(etc)
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\nqueue_directory = %s\n" % spool)
    return etc


def test_postcat_reads_our_files():
    if not os.path.exists(POSTCAT):
        raise Skip("Debian's postfix package is not installed")
    with Cleanup("line_length_limit = 100\n") as c:
        c.start()
        qid, status, _ = c.submit(message(
            [b"Subject: for postcat", b"To: Bob <bob@example.net>"],
            body=[b"hello postcat", b"c" * 250],
            rcpts=(b"bob@example.net", b"carol@example.net"),
            extra_env=[R("F", "Sender Name")]), FLAG_HOLD)
        assert status == 0
        etc = postcat_config(c.inst.dir, c.inst.spool)
        res = subprocess.run([POSTCAT, "-c", etc, c.path(qid, "hold")],
                             capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res.stderr
        out = res.stdout
        for want in ("sender: sender@example.org",
                     "recipient: bob@example.net",
                     "recipient: carol@example.net",
                     "original_recipient: carol@example.net",
                     "named_attribute: rewrite_context=local",
                     "sender_fullname: Sender Name",
                     "Subject: for postcat",
                     "From: Sender Name <sender@example.org>",
                     "Message-Id: <",
                     "hello postcat",
                     "c" * 250):
            assert want in out, (want, out)
        assert "warning" not in res.stderr, res.stderr
        # postcat -q finds it by queue ID in our spool.
        res = subprocess.run([POSTCAT, "-c", etc, "-q", qid],
                             capture_output=True, text=True, timeout=30)
        assert res.returncode == 0 and "hello postcat" in res.stdout, res


if __name__ == "__main__":
    run_tests(globals())
