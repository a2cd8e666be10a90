#!/usr/bin/env python3
"""test_qmqpd - the QMQP server through its real inet socket.

Our master runs our qmqpd on 127.0.0.1:<free port> next to a real cleanup
service, and every test talks QMQP over TCP: our own client (formats.py),
Debian Postfix's qmqp-source, a 5,000-recipient sender, malformed and
truncated requests, slow clients. Each accepted message is read back from
incoming/ record by record; each refused one must leave no queue file.

The cleanup service is Postern's own when the build has it (harness
PROGRAMS "cleanup"); otherwise Debian Postfix 3.7's cleanup and
trivial-rewrite run under our master (root only), and the test names say
"[postfix cleanup]". QMQPD_TEST_CLEANUP=postfix or =postern forces one.
Without either, the tests are skipped with a line saying why.
"""
import os
import pwd
import re
import socket
import stat
import subprocess
import time

from harness import (PROGRAMS, Instance, Skip, free_port, program, run_tests,
                     wait_for)
import formats

PF_SBIN = "/usr/lib/postfix/sbin"
QMQP_SOURCE = "/usr/sbin/qmqp-source"


def our_cleanup():
    return "cleanup" in PROGRAMS and os.path.exists(program("cleanup"))


def postfix_unavailable():
    if os.getuid() != 0:
        return "not root"
    for name in ("cleanup", "trivial-rewrite"):
        if not os.path.exists(os.path.join(PF_SBIN, name)):
            return "Debian's postfix package is not installed"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "no postfix account"
    return None


def cleanup_mode():
    """'postern' or 'postfix': whose cleanup the tests run against."""
    forced = os.environ.get("QMQPD_TEST_CLEANUP")
    if forced in ("postern", "postfix"):
        return forced
    return "postern" if our_cleanup() else "postfix"


MODE = cleanup_mode()
if MODE == "postfix":
    print("NOTE: test_qmqpd runs against Debian Postfix's cleanup "
          "[postfix cleanup]", flush=True)


class Qmqp:
    """An instance with our qmqpd on an inet port and a real cleanup."""

    def __init__(self, main_cf="", authorized="127.0.0.1"):
        self.port = free_port()
        extra = ("qmqpd_error_delay = 0\n"
                 "myhostname = qmqp.example\n" + main_cf)
        if authorized is not None:
            extra = "qmqpd_authorized_clients = %s\n" % authorized + extra
        qmqpd_line = "127.0.0.1:%d inet n - n - - qmqpd\n" % self.port
        # "{dir}" in main_cf stands for the instance directory.
        if MODE == "postern":
            progs = ["qmqpd", "cleanup"]
            mcf = qmqpd_line + "cleanup unix n - n - 0 cleanup\n"
            if "trivial-rewrite" in PROGRAMS and \
                    os.path.exists(program("trivial-rewrite")):
                progs.append("trivial-rewrite")
                mcf += "rewrite unix - - n - - trivial-rewrite\n"
            self.inst = Instance(mcf, programs=progs)
            self.inst.write_main_cf(extra.replace("{dir}", self.inst.dir))
            subprocess.run([program("postern"), "-c", self.inst.etc, "check"],
                           check=True, capture_output=True)
        else:
            why = postfix_unavailable()
            if why:
                raise Skip("no cleanup of ours, and Postfix's: " + why)
            self.inst = Instance("", programs=("qmqpd",))
            self.postfix_world(qmqpd_line,
                               extra.replace("{dir}", self.inst.dir))

    def postfix_world(self, qmqpd_line, extra):
        """Postfix's cleanup runs as postfix: a postfix-style instance."""
        import test_mixed as tm
        inst = self.inst
        os.makedirs(os.path.join(inst.dir, "data"))
        for name in ("cleanup", "trivial-rewrite"):
            os.symlink(os.path.join(PF_SBIN, name),
                       os.path.join(inst.libexec, name))
        tm.make_world_readable(inst)
        tm.postfix_main_cf(inst, "maillog_file = %s\n" % inst.maillog + extra)
        # Postfix's daemons would log through postlogd: keep them on syslog.
        inst.write_master_cf(
            qmqpd_line +
            "cleanup unix n - n - 0 cleanup -o maillog_file=\n"
            "rewrite unix - - n - - trivial-rewrite -o maillog_file=\n")
        for f in ("main.cf", "master.cf"):
            os.chmod(os.path.join(inst.etc, f), 0o644)
        subprocess.run([program("postern"), "-c", inst.etc, "check"],
                       check=True, capture_output=True)

    def start(self):
        self.inst.start()
        return self

    def incoming(self, complete=True):
        d = os.path.join(self.inst.spool, "incoming")
        if not os.path.isdir(d):
            return []
        out = []
        for name in os.listdir(d):
            try:
                st = os.stat(os.path.join(d, name))
            except FileNotFoundError:
                continue
            if not complete or stat.S_IMODE(st.st_mode) & 0o700 == 0o700:
                out.append(name)
        return sorted(out)

    def records(self, qid):
        return formats.queue_file(os.path.join(self.inst.spool, "incoming",
                                               qid))

    def wait_empty(self):
        """No file at all (complete or not) in incoming/."""
        wait_for(lambda: self.incoming(complete=False) == [],
                 what="incoming/ to be empty")

    def connect(self, timeout=30):
        return socket.create_connection(("127.0.0.1", self.port),
                                        timeout=timeout)

    def send(self, packet, timeout=30):
        """Send packet; return the reply (bytes, maybe empty)."""
        s = self.connect(timeout)
        try:
            try:
                s.sendall(packet)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early and closed
            return read_reply(s)
        finally:
            s.close()

    def log_mark(self):
        return len(self.inst.log())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.inst.cleanup()


def read_reply(s):
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break  # the reply, if any, came before the reset
        if not chunk:
            break
        data += chunk
    return data


def reply_text(reply):
    """The one netstring of a reply -> its content (str)."""
    value, rest = formats.parse_netstring(reply)
    assert rest == b"", reply
    return value.decode()


def queued_id(reply):
    text = reply_text(reply)
    m = re.match(r"^KOk: queued as ([0-9A-Za-z]+)$", text)
    assert m, reply
    return m.group(1)


def payloads(records, rtype):
    return [p for t, p in records if t == rtype]


def attrs(records):
    out = {}
    for t, p in records:
        if t == "A" and b"=" in p:
            name, value = p.split(b"=", 1)
            out[name.decode()] = value.decode(errors="replace")
    return out


def content(records):
    """The content segment's lines (L pieces joined), without M and X."""
    lines = []
    pending = b""
    inside = False
    for t, p in records:
        if t == "M":
            inside = True
            continue
        if t == "X":
            break
        if not inside:
            continue
        if t == "L":
            pending += p
        elif t == "N":
            lines.append(pending + p)
            pending = b""
    if pending:
        lines.append(pending)
    return lines


def body(records):
    lines = content(records)
    return lines[lines.index(b"") + 1:]


RECEIVED_ONE = re.compile(
    rb"^Received: from localhost \(localhost \[127\.0\.0\.1\]\)\n"
    rb"\tby qmqp\.example \(Postern\) with QMQP id (\w+)\n"
    rb"\tfor <([^>]*)>; \w\w\w, \d+ \w\w\w \d{4} \d\d:\d\d:\d\d [+-]\d{4}"
    rb" \([^)]*\)$")
RECEIVED_MANY = re.compile(
    rb"^Received: from localhost \(localhost \[127\.0\.0\.1\]\)\n"
    rb"\tby qmqp\.example \(Postern\) with QMQP\n"
    rb"\tid (\w+); \w\w\w, \d+ \w\w\w \d{4} \d\d:\d\d:\d\d [+-]\d{4}"
    rb" \([^)]*\)$")


def check_envelope(r, qid, sender, recipients):
    """What qmqpd put in the envelope, as cleanup kept it."""
    assert r[0][0] == "C", r[:3]
    assert r[-1] == ("E", b""), r[-3:]
    t = payloads(r, "T")
    assert len(t) == 1, r
    sec, usec = [int(x) for x in t[0].split()]
    assert abs(sec - time.time()) < 120 and 0 <= usec < 1000000, t
    assert payloads(r, "S") == [sender], r
    assert payloads(r, "R") == recipients, r
    a = attrs(r)
    for name, value in (("log_client_name", "localhost"),
                        ("log_client_address", "127.0.0.1"),
                        ("log_message_origin", "localhost[127.0.0.1]"),
                        ("log_protocol_name", "QMQP"),
                        ("client_name", "localhost"),
                        ("client_address", "127.0.0.1"),
                        ("client_address_type", "2"),
                        ("protocol_name", "QMQP")):
        assert a.get(name) == value, (name, a)
    assert a["log_client_port"].isdigit() and \
        a["log_client_port"] == a["client_port"], a
    # Our Received: header leads the content, in three records.
    lines = content(r)
    received = b"\n".join(lines[:3])
    if len(recipients) == 1:
        m = RECEIVED_ONE.match(received)
        assert m, received
        assert m.group(1).decode() == qid, received
    else:
        m = RECEIVED_MANY.match(received)
        assert m, received
        assert m.group(1).decode() == qid, received
    return m


# --- accepted mail ---

def test_one_message_field_by_field():
    with Qmqp() as q:
        q.start()
        mark = q.log_mark()
        msg = b"Subject: hello\nTo: r1@example.net\n\nline one\n\nline three\n"
        reply = q.send(formats.qmqp_packet(msg, b"sender@example.org",
                                           [b"r1@example.net"]))
        qid = queued_id(reply)
        assert qid in q.incoming(), (qid, q.incoming())
        r = q.records(qid)
        m = check_envelope(r, qid, b"sender@example.org",
                           [b"r1@example.net"])
        assert m.group(2) == b"r1@example.net"
        assert b"Subject: hello" in content(r)
        assert b"To: r1@example.net" in content(r)
        assert body(r) == [b"line one", b"", b"line three"], body(r)
        q.inst.wait_log("%s: client=localhost[127.0.0.1]" % qid, since=mark)
        q.inst.wait_log("disconnect from localhost[127.0.0.1]", since=mark)
        log = q.inst.log()[mark:]
        assert "connect from localhost[127.0.0.1]" in log, log
        assert "warning" not in log, log


def test_several_recipients_hide_them():
    with Qmqp() as q:
        q.start()
        rcpts = [b"a@example.net", b"b@example.net", b"c@example.com"]
        reply = q.send(formats.qmqp_packet(b"Subject: many\n\nx\n", b"s@x.org",
                                           rcpts))
        qid = queued_id(reply)
        r = q.records(qid)
        check_envelope(r, qid, b"s@x.org", rcpts)
        received = b"\n".join(content(r)[:3])
        assert b"for <" not in received, received


def test_null_sender_and_empty_message():
    with Qmqp() as q:
        q.start()
        qid = queued_id(q.send(formats.qmqp_packet(b"", b"",
                                                   [b"r@example.net"])))
        r = q.records(qid)
        check_envelope(r, qid, b"", [b"r@example.net"])


def test_message_lines():
    """From_ lines, leading white space, long lines, a last line without
    LF: pieces in the queue file put the message back together."""
    with Qmqp() as q:
        q.start()
        long_line = b"x" * 5000
        msg = (b"From someone@example.org Mon Jan  1 00:00:00 2024\n"
               b"Subject: lines\n\n" + long_line + b"\n" + b"y" * 2048 +
               b"\nlast line without LF")
        qid = queued_id(q.send(formats.qmqp_packet(msg, b"s@x.org",
                                                   [b"r@x.org"])))
        r = q.records(qid)
        lines = content(r)
        assert lines[3] == b"X-Mailbox-Line: From someone@example.org " \
            b"Mon Jan  1 00:00:00 2024", lines[:5]
        assert body(r) == [long_line, b"y" * 2048, b"last line without LF"], \
            body(r)
        # The long line is cut at line_length_limit.
        pieces = [p for t, p in r if t in "LN" and p and set(p) == {ord("x")}]
        assert [len(p) for p in pieces] == [2048, 2048, 904], \
            [len(p) for p in pieces]
        # A first line with leading white space cannot continue Received:.
        qid = queued_id(q.send(formats.qmqp_packet(b" folded?\nS: x\n\nb\n",
                                                   b"s@x.org", [b"r@x.org"])))
        lines = content(q.records(qid))
        at = lines.index(b" folded?")
        assert lines[at - 1:at + 2] == [b"", b" folded?", b"S: x"], lines


def test_quoted_recipient_in_received():
    with Qmqp() as q:
        q.start()
        qid = queued_id(q.send(formats.qmqp_packet(b"S: x\n\nb\n", b"s@x.org",
                                                   [b"a b@example.net"])))
        r = q.records(qid)
        m = check_envelope(r, qid, b"s@x.org", [b"a b@example.net"])
        assert m.group(2) == b'"a b"@example.net', m.group(2)


def test_qmqp_source():
    """Postfix's load generator: 5 messages of 3 recipients, 2 at once."""
    if not os.path.exists(QMQP_SOURCE):
        raise Skip("Debian's postfix package (qmqp-source) not installed")
    with Qmqp() as q:
        q.start()
        res = subprocess.run(
            [QMQP_SOURCE, "-m", "5", "-r", "3", "-s", "2", "-c",
             "-f", "source@example.org", "-t", "sink@example.net",
             "-M", "qmqp.example", "127.0.0.1:%d" % q.port],
            capture_output=True, timeout=120)
        assert res.returncode == 0, res
        wait_for(lambda: len(q.incoming()) == 5, timeout=30,
                 what="five queue files")
        for qid in q.incoming():
            r = q.records(qid)
            rcpts = payloads(r, "R")
            assert len(rcpts) == 3, rcpts
            assert all(x.endswith(b"sink@example.net") for x in rcpts), rcpts
            check_envelope(r, qid, b"source@example.org", rcpts)
            q.inst.wait_log("%s: client=localhost[127.0.0.1]" % qid)


def test_five_thousand_recipients():
    with Qmqp() as q:
        q.start()
        rcpts = [b"user%d@example.net" % i for i in range(5000)]
        qid = queued_id(q.send(formats.qmqp_packet(b"Subject: big list\n\nx\n",
                                                   b"list@example.org",
                                                   rcpts)))
        r = q.records(qid)
        check_envelope(r, qid, b"list@example.org", rcpts)


def test_verp_sender():
    with Qmqp() as q:
        q.start()
        qid = queued_id(q.send(formats.qmqp_packet(
            b"S: v\n\nb\n", b"list-@example.com-@[]", [b"r@example.net"])))
        r = q.records(qid)
        assert payloads(r, "S") == [b"list@example.com"], r
        assert payloads(r, "V") == [b"-="], r
        # A delimiter outside verp_delimiter_filter: refused, no file.
        mark = q.log_mark()
        reply = q.send(formats.qmqp_packet(b"S: v\n\nb\n",
                                           b"list!@example.com-@[]",
                                           [b"r@example.net"]))
        assert reply_text(reply) == 'DError: Invalid VERP delimiters: "!=". ' \
            'Need two characters from "-=+"', reply
        q.inst.wait_log('localhost[127.0.0.1]: Error: Invalid VERP '
                        'delimiters: "!="', since=mark)
        assert "warning: " in q.inst.log()[mark:]
        wait_for(lambda: q.incoming(complete=False) == [qid],
                 what="only the first file in incoming/")


def test_content_filter_and_port_logging():
    with Qmqp("content_filter = filter:[127.0.0.1]:10025\n"
              "qmqpd_client_port_logging = yes\n") as q:
        q.start()
        mark = q.log_mark()
        s = q.connect()
        port = s.getsockname()[1]
        s.sendall(formats.qmqp_packet(b"S: f\n\nb\n", b"s@x.org", [b"r@y"]))
        qid = queued_id(read_reply(s))
        s.close()
        r = q.records(qid)
        assert payloads(r, "L")[:1] == [b"filter:[127.0.0.1]:10025"], r
        assert attrs(r)["log_message_origin"] == \
            "localhost[127.0.0.1]:%d" % port, attrs(r)
        for line in ("connect from localhost[127.0.0.1]:%d" % port,
                     "%s: client=localhost[127.0.0.1]:%d" % (qid, port),
                     "disconnect from localhost[127.0.0.1]:%d" % port):
            q.inst.wait_log(line, since=mark)


# --- refused mail: exact replies, no queue file ---

def test_unauthorized_client():
    for authorized, name in ((None, "default: nobody"),
                             ("!127.0.0.1, 127.0.0.0/8", "negated"),
                             ("192.0.2.0/24, otherhost.example", "not listed")):
        with Qmqp(authorized=authorized) as q:
            q.start()
            mark = q.log_mark()
            reply = q.send(formats.qmqp_packet(b"S: x\n", b"s@x", [b"r@y"]))
            assert reply_text(reply) == "DError: localhost[127.0.0.1] is not " \
                "authorized to use this service", (name, reply)
            q.inst.wait_log("disconnect from localhost[127.0.0.1]", since=mark)
            log = q.inst.log()[mark:]
            assert "client=" not in log and "warning" not in log, (name, log)
            assert q.incoming(complete=False) == [], name


def test_authorization_error_is_temporary():
    with Qmqp(authorized="192.0.2.0/33, 127.0.0.1") as q:
        q.start()
        mark = q.log_mark()
        reply = q.send(formats.qmqp_packet(b"S: x\n", b"s@x", [b"r@y"]))
        assert reply_text(reply) == "ZError: server configuration error", reply
        q.inst.wait_log("warning: qmqpd_authorized_clients: malformed "
                        "pattern \"192.0.2.0/33\"", since=mark)
        assert q.incoming(complete=False) == []


MALFORMED = [
    ("bad outer length", b"1x:",
     "Dnetstring format error while receiving QMQP packet header"),
    ("missing outer colon", b"12,",
     "Dnetstring format error while receiving QMQP packet header"),
    ("empty outer netstring", b"0:,",
     "Dnetstring format error while receiving message content"),
    ("message without comma", b"100:3:abc;",
     "Dnetstring format error while receiving message content"),
    ("message over message_size_limit",
     b"3000:2000:" + b"x" * 2000 + b",",
     "Dnetstring length exceeds storage limit while receiving message "
     "content"),
    ("absurd message length", b"100:99999999999999999999999:",
     "Dnetstring length exceeds storage limit while receiving message "
     "content"),
    ("sender over line_length_limit",
     b"9999:" + formats.netstring(b"S: x\n") +
     formats.netstring(b"s" * 3000),
     "Dnetstring length exceeds storage limit while receiving sender "
     "address"),
    ("sender without comma",
     b"9999:" + formats.netstring(b"S: x\n") + b"3:abc.",
     "Dnetstring format error while receiving sender address"),
    ("recipient over line_length_limit",
     b"9999:" + formats.netstring(b"S: x\n") + formats.netstring(b"s@x") +
     formats.netstring(b"r" * 3000),
     "Dnetstring length exceeds storage limit while receiving recipient "
     "address"),
    ("garbage instead of a recipient",
     b"9999:" + formats.netstring(b"S: x\n") + formats.netstring(b"s@x") +
     b"x",
     "Dnetstring format error while receiving recipient address"),
]


def test_malformed_requests():
    with Qmqp("message_size_limit = 1000\n") as q:
        q.start()
        for name, packet, want in MALFORMED:
            mark = q.log_mark()
            reply = q.send(packet)
            assert reply_text(reply) == want, (name, reply)
            what = want[1:]
            q.inst.wait_log("localhost[127.0.0.1]: %s" % what, since=mark)
            q.inst.wait_log("disconnect from", since=mark)
            # The line names the queue ID that was abandoned.
            m = re.search(r": (\w+): localhost\[127\.0\.0\.1\]: " +
                          re.escape(what), q.inst.log()[mark:])
            assert m and m.group(1) != "NOQUEUE", (name, q.inst.log()[mark:])
            q.wait_empty()


def test_no_recipients():
    with Qmqp() as q:
        q.start()
        mark = q.log_mark()
        reply = q.send(formats.qmqp_packet(b"S: x\n\nb\n", b"s@x.org", []))
        assert reply_text(reply) == "DError: no recipients specified", reply
        q.inst.wait_log("localhost[127.0.0.1]: Error: no recipients "
                        "specified", since=mark)
        q.wait_empty()


def test_outer_length_is_not_trusted():
    """Postfix reads to the closing comma, whatever the length said."""
    with Qmqp() as q:
        q.start()
        inner = (formats.netstring(b"S: x\n\nb\n") + formats.netstring(b"s@x")
                 + formats.netstring(b"r@y"))
        qid = queued_id(q.send(b"5:" + inner + b","))
        assert payloads(q.records(qid), "R") == [b"r@y"]


def test_disconnect_halfway():
    cases = [(b"100:", "receiving message content"),
             (b"100:20:abc", "receiving message content"),
             (b"100:" + formats.netstring(b"S: x\n"),
              "receiving sender address"),
             (b"100:" + formats.netstring(b"S: x\n") +
              formats.netstring(b"s@x") + formats.netstring(b"r@y"),
              "receiving recipient address")]
    with Qmqp() as q:
        q.start()
        for partial, where in cases:
            mark = q.log_mark()
            s = q.connect()
            s.sendall(partial)
            q.inst.wait_log(": client=localhost", since=mark)
            s.close()
            q.inst.wait_log("localhost[127.0.0.1]: lost connection while " +
                            where, since=mark)
            q.wait_empty()


def test_slow_client_times_out():
    with Qmqp("qmqpd_timeout = 2s\n") as q:
        q.start()
        mark = q.log_mark()
        s = q.connect()
        s.sendall(b"100:" + formats.netstring(b"S: x\n") + b"3:s@")
        # The server gives up on us: no reply, the connection is closed.
        assert read_reply(s) == b""
        s.close()
        q.inst.wait_log("localhost[127.0.0.1]: read/write timeout while "
                        "receiving sender address", since=mark)
        q.wait_empty()


def test_soft_bounce():
    with Qmqp("soft_bounce = yes\n", authorized="!127.0.0.1") as q:
        q.start()
        reply = q.send(formats.qmqp_packet(b"S: x\n", b"s@x", [b"r@y"]))
        assert reply_text(reply) == "ZError: localhost[127.0.0.1] is not " \
            "authorized to use this service", reply
    with Qmqp("soft_bounce = yes\n") as q:
        q.start()
        assert reply_text(q.send(b"1x:")) == "Znetstring format error " \
            "while receiving QMQP packet header"
        assert reply_text(q.send(formats.qmqp_packet(b"S: x\n", b"s@x", []))) \
            == "ZError: no recipients specified"
        # Success is untouched.
        queued_id(q.send(formats.qmqp_packet(b"S: x\n", b"s@x", [b"r@y"])))


def test_error_delay():
    """qmqpd logs a refusal, then waits qmqpd_error_delay, then replies:
    right after the log line the reply is not there yet (the delay is long
    compared to the test's reaction time; no duration is measured)."""
    with Qmqp("qmqpd_error_delay = 5s\n") as q:
        q.start()
        mark = q.log_mark()
        s = q.connect(timeout=60)
        s.sendall(b"1x:")
        q.inst.wait_log("netstring format error while receiving QMQP packet "
                        "header", since=mark)
        s.setblocking(False)
        try:
            early = s.recv(100)
        except BlockingIOError:
            early = None
        assert early is None, early
        s.setblocking(True)
        s.settimeout(60)
        assert reply_text(read_reply(s)) == "Dnetstring format error while " \
            "receiving QMQP packet header"
        s.close()
        # An accepted message is not delayed: its K is there right after
        # cleanup's verdict (checked only for its content here).
        queued_id(q.send(formats.qmqp_packet(b"S: x\n", b"s@x", [b"r@y"])))


def test_cleanup_unreachable():
    """No cleanup service: a temporary error, never a K."""
    port = free_port()
    with Instance("127.0.0.1:%d inet n - n - - qmqpd\n" % port,
                  programs=("qmqpd",)) as inst:
        inst.write_main_cf("qmqpd_authorized_clients = 127.0.0.1\n"
                           "qmqpd_error_delay = 0\n")
        inst.start()
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(formats.qmqp_packet(b"S: x\n", b"s@x", [b"r@y"]))
        assert reply_text(read_reply(s)) == "ZError: queue file write error"
        s.close()
        inst.wait_log("warning: connect to public/cleanup: ")
        inst.wait_log("warning: NOQUEUE: localhost[127.0.0.1]: Error: queue "
                      "file write error")


def test_debug_peer_list():
    with Qmqp("debug_peer_list = 127.0.0.0/8\n") as q:
        q.start()
        qid = queued_id(q.send(formats.qmqp_packet(b"S: x\n", b"s@x",
                                                   [b"r@y", b"r2@y"])))
        q.inst.wait_log("%s: localhost[127.0.0.1]: 5 bytes of message, "
                        "sender <s@x>, 2 recipients" % qid)
    with Qmqp("debug_peer_list = 192.0.2.1\n") as q:
        q.start()
        mark = q.log_mark()
        queued_id(q.send(formats.qmqp_packet(b"S: x\n", b"s@x", [b"r@y"])))
        q.inst.wait_log("disconnect from", since=mark)
        assert "bytes of message" not in q.inst.log()[mark:]


def cdb_hash(key):
    h = 5381
    for c in key:
        h = ((h << 5) + h) & 0xffffffff ^ c
    return h


def write_cdb(path, table):
    """A constant database (D. J. Bernstein's cdb format, as tinycdb
    writes it), keys without a trailing NUL; renamed into place."""
    import struct
    records = b""
    slots = [[] for _ in range(256)]
    pos = 2048
    for key, value in table.items():
        key, value = key.encode(), value.encode()
        h = cdb_hash(key)
        slots[h & 255].append((h, pos))
        rec = struct.pack("<II", len(key), len(value)) + key + value
        records += rec
        pos += len(rec)
    header = b""
    tables = b""
    for entries in slots:
        n = 2 * len(entries)
        cells = [(0, 0)] * n
        for h, rpos in entries:
            i = (h >> 8) % n
            while cells[i][1]:
                i = (i + 1) % n
            cells[i] = (h, rpos)
        header += struct.pack("<II", pos + len(tables), n)
        tables += b"".join(struct.pack("<II", h, p) for h, p in cells)
    with open(path + ".tmp", "wb") as f:
        f.write(header + records + tables)
    os.rename(path + ".tmp", path)


def test_authorized_by_table():
    """A cdb table: a match admits; a replaced table restarts the process
    (the next client sees the new one); a corrupt table is a temporary
    error."""
    with Qmqp("qmqpd_authorized_clients = cdb:{dir}/clients\n",
              authorized=None) as q:
        table = os.path.join(q.inst.dir, "clients")
        write_cdb(table + ".cdb", {"localhost": "ok"})
        os.chmod(table + ".cdb", 0o644)
        q.start()
        queued_id(q.send(formats.qmqp_packet(b"S: x\n", b"s@x", [b"r@y"])))
        mark = q.log_mark()
        write_cdb(table + ".cdb", {"192.0.2.1": "ok"})
        os.chmod(table + ".cdb", 0o644)
        # The process still running reads the old table for this client,
        # then restarts; a fresh one refuses with the new table.
        q.send(formats.qmqp_packet(b"S: x\n", b"s@x", [b"r@y"]))
        q.inst.wait_log("table cdb:%s has changed -- restarting" % table,
                        since=mark)
        reply = q.send(formats.qmqp_packet(b"S: x\n", b"s@x", [b"r@y"]))
        assert reply_text(reply).startswith("DError: localhost[127.0.0.1] "
                                            "is not authorized"), reply
        with open(table + ".cdb.tmp", "wb") as f:
            f.write(b"\xff" * 4096)
        os.chmod(table + ".cdb.tmp", 0o644)
        os.rename(table + ".cdb.tmp", table + ".cdb")
        wait_for(lambda: reply_text(q.send(formats.qmqp_packet(
            b"S: x\n", b"s@x", [b"r@y"]))) ==
            "ZError: server configuration error", what="the corrupt table")
        q.inst.wait_log("warning: qmqpd_authorized_clients: table cdb:%s: "
                        "lookup of \"localhost\" failed" % table)


if __name__ == "__main__":
    run_tests(globals())
