#!/usr/bin/env python3
"""test_agents - the discard and error delivery agents through real sockets.

A real master runs our discard and error programs (master.cf: discard,
error, retry = error, and softerror = error with soft_bounce=yes) beside
the bounce, defer and trace services: our bounce when this build has one
(harness.PROGRAMS["bounce"]), otherwise Debian Postfix 3.7's (needs
root). Python plays the queue manager: it writes a real queue file into
active/ (formats.py records), sends a delivery request over the agent's
socket (spec d.2, built by hand here: a second implementation of the
wire format) and reads the reply. Checked:

  * the announcement, the reply's shape (hop status, then status) and
    its status: 0 when every recipient is done, -1 when some must be
    retried; the agent waits for the client to close;
  * the log line of every recipient, field by field (spec g), with the
    delays a/b/c computed from the timestamps the request carried;
  * the queue file: exactly the R bytes of done recipients became D,
    nothing else changed;
  * the bounce/defer/trace records the agents caused;
  * malformed requests (garbage, a missing attribute, a recipient count
    over the limit, a bad queue ID, a missing queue file, an empty next
    hop) get the error reply (or a closed connection when the input ends
    early) and a warning, and the agent stays up;
  * mixed mode (root, Debian's postfix): Postfix's discard and error get
    the same requests and produce the same replies, equivalent log lines,
    the same queue file bytes and the same bounce records. (Not soft
    bounce: Postfix's error refuses to run under a service name other
    than error or retry, so it cannot have a "softerror" beside them.)
No test asserts a duration.
"""
import os
import pwd
import re
import shutil
import socket
import struct
import subprocess
import time

import harness
from formats import read_records, record
from harness import Instance, Skip, program, run_tests, wait_for

PF_SBIN = "/usr/lib/postfix/sbin"

AGENT_SERVICES = ("discard unix - - n - - discard\n"
                  "error unix - - n - - error\n"
                  "retry unix - - n - - error\n"
                  "softerror unix - - n - - error -o soft_bounce=yes\n")
BOUNCE_SERVICES = ("bounce unix - - n - 0 bounce\n"
                   "defer unix - - n - 0 bounce\n"
                   "trace unix - - n - 0 bounce\n")

# Request flags (spec d.2).
SUCCESS, BOUNCE, USR_VRFY, RECORD = 1, 2, 0x200, 0x400
DEFLT = SUCCESS | BOUNCE
MINUS_ONE = "4294967295"


def have_postfix():
    if os.getuid() != 0 or not os.path.exists(os.path.join(PF_SBIN, "error")):
        return False
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return False
    return True


def our_program(name):
    return name in harness.PROGRAMS and os.path.exists(program(name))


def bounce_kind():
    if our_program("bounce"):
        return "ours"
    if have_postfix():
        return "postfix"
    return None


class AgentEnv:
    """A master running the agents (ours or Postfix's) and a bounce."""

    def __init__(self, agents="ours", bounce="auto", main_cf="",
                 expect_crash=False):
        self.expect_crash = expect_crash
        if bounce == "auto":
            bounce = bounce_kind()
            if bounce is None:
                raise Skip("no bounce service: ours is not built and "
                           "Debian's Postfix is unavailable (needs root)")
        if "postfix" in (agents, bounce) and not have_postfix():
            raise Skip("needs root and Debian's postfix package")
        self.agents = agents
        self.postfix_style = "postfix" in (agents, bounce)
        ours = ["discard", "error"] if agents == "ours" else []
        if bounce == "ours":
            ours.append("bounce")
        self.inst = inst = Instance("", programs=tuple(ours))
        master_cf = AGENT_SERVICES
        if bounce:
            master_cf += BOUNCE_SERVICES
        theirs = []
        if agents == "postfix":
            theirs += ["discard", "error"]
        if bounce == "postfix":
            theirs.append("bounce")
        if self.postfix_style:
            import test_mixed
            theirs.append("postlogd")
            for name in theirs:
                os.symlink(os.path.join(PF_SBIN, name),
                           os.path.join(inst.libexec, name))
            os.makedirs(os.path.join(inst.dir, "data"))
            test_mixed.make_world_readable(inst)
            # Postfix's daemons log through postlogd into the same file.
            test_mixed.postfix_main_cf(
                inst, "maillog_file = %s\nmaillog_file_prefixes = %s\n" %
                (inst.maillog, inst.dir) + main_cf)
            master_cf = "postlog unix-dgram n - n - 1 postlogd\n" + master_cf
            self.owner = pwd.getpwnam("postfix")
        else:
            inst.write_main_cf(main_cf)
            self.owner = pwd.getpwuid(os.getuid())
        inst.write_master_cf(master_cf)
        subprocess.run([program("postern"), "-c", inst.etc, "check"],
                       check=True, capture_output=True)
        with open(inst.maillog, "a"):
            pass
        os.chown(inst.maillog, self.owner.pw_uid, self.owner.pw_gid)
        inst.start()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        try:
            if exc_type is None and not self.expect_crash:
                # Every daemon survived (a sanitizer report or a crash
                # shows up as an abnormal exit in master's log).
                bad = [x for x in self.inst.log().splitlines()
                       if re.search(r"exit status|killed by signal|fatal:|"
                                    r"panic:", x)]
                assert not bad, "\n".join(bad)
        finally:
            self.inst.cleanup()

    # --- the spool ---

    def spool_path(self, queue, qid):
        d = os.path.join(self.inst.spool, queue)
        if queue in ("deferred", "defer"):
            d = os.path.join(d, qid[0])
        return os.path.join(d, qid)

    def put_message(self, qid, rcpts, sender="sender@example.org",
                    queue="active"):
        data, offsets, data_offset, size = queue_file(sender, rcpts)
        path = self.spool_path(queue, qid)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o700)
        os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        return Message(qid, path, data, offsets, data_offset, size, rcpts)

    def read(self, queue, qid):
        try:
            with open(self.spool_path(queue, qid), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    # --- the log ---

    def agent_lines(self, since=0):
        """Lines logged by the agents (discard, error), prefix removed."""
        out = []
        for line in self.inst.log()[since:].splitlines():
            m = re.match(r"^.*? \S+/(discard|error)\[\d+\]: (.*)$", line)
            if m:
                out.append(m.group(2))
        return out

    def wait_lines(self, since, pred, count=1, what="agent log lines"):
        def enough():
            lines = [x for x in self.agent_lines(since) if pred(x)]
            return lines if len(lines) >= count else None
        return wait_for(enough, what=what)


class Message:
    def __init__(self, qid, path, data, offsets, data_offset, size, rcpts):
        self.qid = qid
        self.path = path
        self.data = data
        self.offsets = offsets
        self.data_offset = data_offset
        self.size = size
        self.rcpts = rcpts

    def current(self):
        with open(self.path, "rb") as f:
            return f.read()

    def with_done(self, indexes):
        """The file as it must be with recipients indexes marked done."""
        data = bytearray(self.data)
        for i in indexes:
            data[self.offsets[i]] = ord("D")
        return bytes(data)


def queue_file(sender, rcpts, arrival=1700000000):
    """A queue file as cleanup writes it (spec b.3). rcpts: list of
    (original recipient or None, recipient). Returns (bytes, R offsets,
    data offset, content size)."""
    out = record("C", b"%15d %15d %15d %15d %15d %15d" % (0, 0, 0, 0, 0, 0))
    out += record("T", b"%d 0" % arrival)
    out += record("A", b"create_time=%d" % arrival)
    out += record("A", b"rewrite_context=local")
    out += record("S", sender.encode())
    offsets = []
    for orig, rcpt in rcpts:
        if orig is not None:
            out += record("O", orig.encode())
        offsets.append(len(out))
        out += record("R", rcpt.encode())
    out += record("p", b"%15d" % 0)
    out += record("M", b"")
    data_offset = len(out)
    for line in (b"Subject: agents", b"From: " + sender.encode(), b"",
                 b"hello"):
        out += record("N", line)
    size = len(out) - data_offset
    out += record("X", b"") + record("E", b"")
    head = record("C", b"%15d %15d %15d %15d %15d %15d" %
                  (size, data_offset, len(rcpts), 0, size, 0))
    return head + out[len(head):], offsets, data_offset, size


# --- the delivery request protocol, written out by hand (spec d.2) ---

def attrs(pairs):
    out = b""
    for name, value in pairs:
        if isinstance(value, int):
            value = str(value & 0xffffffffffffffff if name == "offset"
                        else value & 0xffffffff)
        if isinstance(value, str):
            value = value.encode()
        out += name.encode() + b"\0" + value + b"\0"
    return out + b"\0"


def tv(usec):
    return struct.pack("=qq", usec // 1000000, usec % 1000000)


def msg_stats(arrival, active, handoff, conn=0, done=0, reuse=0):
    """struct msg_stats of amd64: five 16-byte timevals, an int, padding."""
    return (tv(arrival) + tv(active) + tv(handoff) + tv(conn) + tv(done) +
            struct.pack("=ii", reuse, 0))


def default_stats():
    """Arrival 5 s ago, active 3 s later, hand-off 1 s after that: the log
    must say delays=3/1/0/..."""
    arrival = (int(time.time()) - 5) * 1000000
    return msg_stats(arrival, arrival + 3000000, arrival + 4000000)


def request_header(msg, nexthop, flags=DEFLT, stats=None, queue="active",
                   count=None):
    import base64
    return [("flags", flags), ("queue_name", queue), ("queue_id", msg.qid),
            ("offset", msg.data_offset), ("size", msg.size),
            ("nexthop", nexthop), ("encoding", ""), ("smtputf8", 0),
            ("sender", "sender@example.org"), ("envelope_id", ""),
            ("ret_flags", 0),
            ("time", base64.b64encode(stats if stats is not None
                                      else default_stats())),
            ("log_client_name", ""), ("log_client_address", ""),
            ("log_client_port", ""), ("log_protocol_name", ""),
            ("log_helo_name", ""), ("sasl_method", ""), ("sasl_username", ""),
            ("sasl_sender", ""), ("log_ident", msg.qid),
            ("rewrite_context", "local"),
            ("recipient_count", len(msg.rcpts) if count is None else count)]


def request_rcpts(msg, notify=0, dsn_orig_rcpt=""):
    return [[("original_recipient", orig or ""), ("recipient", rcpt),
             ("offset", msg.offsets[i]), ("dsn_orig_rcpt", dsn_orig_rcpt),
             ("notify_flags", notify)]
            for i, (orig, rcpt) in enumerate(msg.rcpts)]


def request(msg, nexthop, **kw):
    notify = kw.pop("notify", 0)
    return attrs(request_header(msg, nexthop, **kw)) + b"".join(
        attrs(r) for r in request_rcpts(msg, notify))


class Session:
    """One connection to an agent, playing the queue manager."""

    def __init__(self, inst, service):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(inst.socket_path(service))
        self.pending = b""

    def field(self):
        while b"\0" not in self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.pending += data
        field, self.pending = self.pending.split(b"\0", 1)
        return field.decode(errors="replace")

    def read_list(self):
        """A list as ordered (name, value) pairs ("status" comes twice)."""
        pairs = []
        while True:
            name = self.field()
            if name == "":
                return pairs
            pairs.append((name, self.field()))

    def closed_within(self, seconds):
        self.sock.settimeout(seconds)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(30)

    def close(self):
        self.sock.close()


REPLY_NAMES = ["status", "diag_type", "diag_text", "mta_type", "mta_mname",
               "action", "reason", "status"]


def deliver(env, service, payload, eof=False):
    """Send one request; return the reply pairs, or None when the agent
    closed without one."""
    s = Session(env.inst, service)
    try:
        assert s.read_list() == [("protocol", "delivery_request_protocol")]
        s.sock.sendall(payload)
        if eof:
            s.sock.shutdown(socket.SHUT_WR)
        try:
            reply = s.read_list()
        except EOFError:
            return None
        # The agent waits for us to close first.
        assert not s.closed_within(0.3), "agent closed before the client"
        return reply
    finally:
        s.close()


def reply_status(reply):
    assert [n for n, _ in reply] == REPLY_NAMES, reply
    # The hop status is empty: discard and error never blame the
    # destination as a whole.
    assert all(v == "" for _, v in reply[:7]), reply
    return reply[7][1]


LINE = re.compile(
    r"^(?P<qid>\w+): to=<(?P<to>[^>]*)>, (orig_to=<(?P<orig>[^>]*)>, )?"
    r"relay=(?P<relay>[^,]+), (conn_use=(?P<conn_use>\d+), )?"
    r"delay=(?P<delay>[0-9.]+), "
    r"delays=(?P<a>[0-9.]+)/(?P<b>[0-9.]+)/(?P<c>[0-9.]+)/(?P<d>[0-9.]+), "
    r"dsn=(?P<dsn>[245]\.\d{1,3}\.\d{1,3}), status=(?P<status>\S+) "
    r"\((?P<reason>.*)\)$")
# Two significant digits below 10 s, at most two decimals (resolution 2).
NUMBER = re.compile(r"^(0|[1-9][0-9]*|[0-9]\.[0-9]?[1-9]|0\.0[1-9])$")


def parse_line(line):
    m = LINE.match(line)
    assert m, "not a delivery log line: %r" % line
    for k in ("delay", "a", "b", "c", "d"):
        assert NUMBER.match(m.group(k)), (k, line)
    return m.groupdict()


def delivery_lines(env, since, qid, count):
    lines = env.wait_lines(since, lambda x: x.startswith(qid + ": to="),
                           count, what="%d log lines for %s" % (count, qid))
    assert len(lines) == count, lines
    return [parse_line(x) for x in lines]


def check_line(fields, to, status, dsn, reason, orig=None):
    assert fields["to"] == to, fields
    assert fields["orig"] == orig, fields
    assert fields["relay"] == "none", fields
    assert fields["conn_use"] is None, fields
    # From the request's timestamps: 3 s before the active queue, 1 s in
    # it, no connection set-up.
    assert (fields["a"], fields["b"], fields["c"]) == ("3", "1", "0"), fields
    assert fields["dsn"] == dsn, fields
    assert fields["status"] == status, fields
    assert fields["reason"] == reason, fields


def log_records(data):
    """bounce/defer/trace log file -> list of {name: value} per record."""
    out = []
    for block in data.decode().split("\n\n"):
        rec = dict(line.split("=", 1) for line in block.splitlines()
                   if "=" in line and not line.startswith("<"))
        if rec:
            out.append(rec)
    return out


# --- discard ---

def test_discard_marks_done_and_logs():
    with AgentEnv() as env:
        msg = env.put_message("DISC1", [("orig1@example.com",
                                         "rcpt1@example.com"),
                                        (None, "rcpt2@example.com")])
        mark = len(env.inst.log())
        reply = deliver(env, "discard", request(msg, "test reason"))
        assert reply_status(reply) == "0"
        l1, l2 = delivery_lines(env, mark, "DISC1", 2)
        check_line(l1, "rcpt1@example.com", "sent", "2.0.0", "test reason",
                   orig="orig1@example.com")
        check_line(l2, "rcpt2@example.com", "sent", "2.0.0", "test reason")
        assert msg.current() == msg.with_done([0, 1])
        # No trace record without RECORD or NOTIFY=SUCCESS.
        assert env.read("trace", "DISC1") is None


def test_discard_nexthop_dsn_and_flags():
    with AgentEnv() as env:
        cases = [
            # nexthop, flags, dsn, reason, warning, done
            ("2.1.5 custom text", DEFLT, "2.1.5", "custom text", None, True),
            ("5.1.1 custom text", DEFLT, "2.0.0", "custom text",
             'sent: ignoring dsn code "5.1.1"', True),
            ("  leading space", DEFLT, "2.0.0", "leading space", None, True),
            ("not marked", 0, "2.0.0", "not marked", None, False),
        ]
        for i, (nexthop, flags, dsn, reason, warning, done) in \
                enumerate(cases):
            qid = "DISC2%X" % i
            msg = env.put_message(qid, [(None, "r@example.com")])
            mark = len(env.inst.log())
            reply = deliver(env, "discard", request(msg, nexthop,
                                                    flags=flags))
            assert reply_status(reply) == "0", nexthop
            (line,) = delivery_lines(env, mark, qid, 1)
            check_line(line, "r@example.com", "sent", dsn, reason)
            if warning:
                assert "warning: " + warning in env.inst.log()[mark:]
            assert msg.current() == (msg.with_done([0]) if done
                                     else msg.data), nexthop


def test_discard_quotes_addresses():
    with AgentEnv() as env:
        msg = env.put_message("DISC3", [("a b@example.com", "x@y@z"),
                                        (None, ""), (None, "user")])
        mark = len(env.inst.log())
        assert reply_status(deliver(env, "discard",
                                    request(msg, "q"))) == "0"
        lines = delivery_lines(env, mark, "DISC3", 3)
        assert lines[0]["to"] == '"x@y"@z'
        assert lines[0]["orig"] == '"a b"@example.com'
        assert lines[1]["to"] == ""
        assert lines[2]["to"] == "user"


def test_discard_trace_records():
    with AgentEnv() as env:
        msg = env.put_message("DISC4", [(None, "r@example.com")])
        mark = len(env.inst.log())
        reply = deliver(env, "discard", request(msg, "traced",
                                                flags=DEFLT | RECORD))
        assert reply_status(reply) == "0"
        delivery_lines(env, mark, "DISC4", 1)
        (rec,) = log_records(wait_for(lambda: env.read("trace", "DISC4"),
                                      what="trace record"))
        assert rec["recipient"] == "r@example.com", rec
        assert rec["action"] == "delivered", rec
        assert rec["status"] == "2.0.0", rec
        assert rec["reason"] == "traced", rec
        assert msg.current() == msg.with_done([0])

        # sendmail -bv: "deliverable", a trace record, nothing delivered.
        msg = env.put_message("DISC5", [(None, "r@example.com")])
        mark = len(env.inst.log())
        reply = deliver(env, "discard", request(msg, "verify",
                                                flags=USR_VRFY))
        assert reply_status(reply) == "0"
        (line,) = delivery_lines(env, mark, "DISC5", 1)
        assert line["status"] == "deliverable", line
        (rec,) = log_records(env.read("trace", "DISC5"))
        assert rec["action"] == "deliverable", rec
        assert msg.current() == msg.data


# --- error and retry ---

def test_error_bounces():
    with AgentEnv() as env:
        msg = env.put_message("ERR1", [("o@example.com", "r1@example.com"),
                                       (None, "r2@example.com")])
        mark = len(env.inst.log())
        reply = deliver(env, "error", request(msg, "5.1.2 bad host"))
        assert reply_status(reply) == "0"
        l1, l2 = delivery_lines(env, mark, "ERR1", 2)
        check_line(l1, "r1@example.com", "bounced", "5.1.2", "bad host",
                   orig="o@example.com")
        check_line(l2, "r2@example.com", "bounced", "5.1.2", "bad host")
        recs = log_records(env.read("bounce", "ERR1"))
        assert [r["recipient"] for r in recs] == ["r1@example.com",
                                                 "r2@example.com"], recs
        assert recs[0]["original_recipient"] == "o@example.com", recs
        assert [r["offset"] for r in recs] == [str(o) for o in msg.offsets]
        assert all(r["status"] == "5.1.2" and r["action"] == "failed" and
                   r["reason"] == "bad host" for r in recs), recs
        # Marked done because the bounce is on record.
        assert msg.current() == msg.with_done([0, 1])


def test_error_dsn_class_and_default():
    with AgentEnv() as env:
        for i, (nexthop, dsn, reason, warning) in enumerate([
                ("no such user", "5.0.0", "no such user", None),
                ("4.4.1 temp thing", "5.0.0", "temp thing",
                 'bounce_append: ignoring dsn code "4.4.1"'),
                ("5.1.1", "5.1.1", "", None)]):
            qid = "ERR2%X" % i
            msg = env.put_message(qid, [(None, "r@example.com")])
            mark = len(env.inst.log())
            assert reply_status(deliver(env, "error",
                                        request(msg, nexthop))) == "0"
            (line,) = delivery_lines(env, mark, qid, 1)
            check_line(line, "r@example.com", "bounced", dsn, reason)
            if warning:
                assert "warning: " + warning in env.inst.log()[mark:]
            assert msg.current() == msg.with_done([0])


def test_retry_defers():
    with AgentEnv() as env:
        msg = env.put_message("RETRY1", [(None, "r1@example.com"),
                                         (None, "r2@example.com")])
        mark = len(env.inst.log())
        reply = deliver(env, "retry", request(msg, "4.4.1 try later"))
        assert reply_status(reply) == MINUS_ONE
        lines = delivery_lines(env, mark, "RETRY1", 2)
        for line, rcpt in zip(lines, ("r1@example.com", "r2@example.com")):
            check_line(line, rcpt, "deferred", "4.4.1", "try later")
        recs = log_records(env.read("defer", "RETRY1"))
        assert [r["action"] for r in recs] == ["delayed", "delayed"], recs
        assert recs[0]["status"] == "4.4.1", recs
        # Deferred recipients stay to do.
        assert msg.current() == msg.data

        msg = env.put_message("RETRY2", [(None, "r@example.com")])
        mark = len(env.inst.log())
        assert reply_status(deliver(env, "retry",
                                    request(msg, "5.7.1 perm"))) == MINUS_ONE
        (line,) = delivery_lines(env, mark, "RETRY2", 1)
        check_line(line, "r@example.com", "deferred", "4.0.0", "perm")
        assert 'defer_append: ignoring dsn code "5.7.1"' in \
            env.inst.log()[mark:]


def test_soft_bounce():
    with AgentEnv() as env:
        msg = env.put_message("SOFT1", [("o@example.com", "r@example.com")])
        mark = len(env.inst.log())
        reply = deliver(env, "softerror", request(msg, "5.1.1 nope"))
        assert reply_status(reply) == MINUS_ONE
        (line,) = delivery_lines(env, mark, "SOFT1", 1)
        # Postfix 3.7 logs the word SOFTBOUNCE, with the class made 4.
        check_line(line, "r@example.com", "SOFTBOUNCE", "4.1.1", "nope",
                   orig="o@example.com")
        (rec,) = log_records(env.read("defer", "SOFT1"))
        assert rec["status"] == "4.1.1" and rec["action"] == "delayed", rec
        assert env.read("bounce", "SOFT1") is None
        assert msg.current() == msg.data


def test_bounce_service_down():
    """No bounce/defer services: the bounce becomes a deferral, 4.3.0."""
    with AgentEnv(bounce=None) as env:
        msg = env.put_message("DOWN1", [(None, "r@example.com")])
        mark = len(env.inst.log())
        reply = deliver(env, "error", request(msg, "5.1.1 nope"))
        assert reply_status(reply) == MINUS_ONE
        (line,) = delivery_lines(env, mark, "DOWN1", 1)
        check_line(line, "r@example.com", "deferred", "4.3.0",
                   "bounce or trace service failure")
        assert "DOWN1: defer service failure" in env.inst.log()[mark:]
        assert msg.current() == msg.data


# --- malformed requests ---

def test_malformed_requests():
    with AgentEnv() as env:
        msg = env.put_message("BAD1", [(None, "r@example.com")])
        hdr = request_header(msg, "x")
        rcpts = b"".join(attrs(r) for r in request_rcpts(msg))
        cases = [
            # name, service, payload, eof, reply expected, warning
            ("garbage", "discard", b"hello world\n\x01\x02", True, False,
             "error receiving common attributes"),
            ("missing recipient_count", "discard",
             attrs(hdr[:-1]) + rcpts, False, True,
             "missing attribute recipient_count"),
            ("extra attribute", "error",
             attrs(hdr[:3] + [("foo", "bar")] + hdr[3:]) + rcpts, False, True,
             "unexpected attribute foo"),
            ("one list for all", "discard", attrs(hdr)[:-1] + rcpts, False,
             True, "unexpected attribute original_recipient"),
            ("count over the limit", "discard",
             attrs(hdr[:-1] + [("recipient_count", 100000000)]) + rcpts,
             False, True, "recipient count 100000000 exceeds limit 20000"),
            ("count over what came", "error",
             attrs(hdr[:-1] + [("recipient_count", 3)]) + rcpts, True, False,
             "error receiving recipient attributes"),
            ("time of the wrong size", "discard",
             attrs([(n, v if n != "time" else "AAAA") for n, v in hdr]) +
             rcpts, False, True, "size mis-match: 3 != 88"),
            ("bad queue id", "discard",
             attrs([(n, v if n != "queue_id" else "ab/cd")
                    for n, v in hdr]) + rcpts, False, True,
             "bad mail queue ID: ab/cd"),
            ("bad queue name", "error",
             attrs([(n, v if n != "queue_name" else "../etc")
                    for n, v in hdr]) + rcpts, False, True,
             "bad mail queue name: ../etc"),
            ("no queue file", "discard",
             attrs([(n, v if n not in ("queue_id", "log_ident")
                     else "NOSUCHFILE") for n, v in hdr]) + rcpts, False, True,
             "open active NOSUCHFILE: No such file or directory"),
            ("empty nexthop", "error", request(msg, ""), False, True,
             "BAD1: empty nexthop hostname"),
        ]
        for name, service, payload, eof, want_reply, warning in cases:
            mark = len(env.inst.log())
            reply = deliver(env, service, payload, eof=eof)
            if want_reply:
                assert reply is not None, name
                assert reply_status(reply) == MINUS_ONE, (name, reply)
            else:
                assert reply is None, (name, reply)
            env.wait_lines(mark, lambda x: warning in x,
                           what="warning %r (%s)" % (warning, name))
        # Nothing was delivered, nothing crashed, and the agents still
        # work.
        assert msg.current() == msg.data
        log = env.inst.log()
        assert "fatal" not in log and "panic" not in log, log
        assert "exit status" not in log and "signal" not in log, log
        mark = len(log)
        assert reply_status(deliver(env, "discard", request(msg, "ok"))) == "0"
        delivery_lines(env, mark, "BAD1", 1)


def test_queue_file_locked():
    """An exclusive lock on the queue file (someone else owns it) is
    fatal for the agent, as in Postfix: no reply, nothing changed."""
    import fcntl
    with AgentEnv(bounce=None, expect_crash=True) as env:
        msg = env.put_message("LOCK1", [(None, "r@example.com")])
        fd = os.open(msg.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            mark = len(env.inst.log())
            assert deliver(env, "discard", request(msg, "x")) is None
            env.inst.wait_log("fatal: shared lock active/LOCK1", since=mark)
        finally:
            os.close(fd)
        assert msg.current() == msg.data


# --- the queue manager's side in C (util/deliver_agent.c) ---

DELIVERTOOL = os.path.join(harness.BUILD, "tests/system/delivertool")


def run_c_client(env, msg, service, nexthop, flags=DEFLT):
    if not os.path.exists(DELIVERTOOL):
        raise Skip("tests/system/delivertool is not built")
    args = [DELIVERTOOL, env.inst.spool, service, "active",
            msg.qid, nexthop, str(flags)]
    args += ["%d=%s" % (msg.offsets[i], rcpt)
             for i, (_, rcpt) in enumerate(msg.rcpts)]
    res = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def c_client_checks(env):
    """The C client against the agents of env: replies and effects."""
    msg = env.put_message("CCLI1", [(None, "r1@example.com"),
                                    (None, "r2@example.com")])
    mark = len(env.inst.log())
    out = run_c_client(env, msg, "discard", "2.1.5 via C")
    assert out == "status= action= reason= deliver_status=0", out
    for line in delivery_lines(env, mark, "CCLI1", 2):
        assert (line["a"], line["b"], line["dsn"], line["reason"]) == \
            ("3", "1", "2.1.5", "via C"), line
    assert msg.current() == msg.with_done([0, 1])

    msg = env.put_message("CCLI2", [(None, "r@example.com")])
    mark = len(env.inst.log())
    out = run_c_client(env, msg, "retry", "later")
    assert out == "status= action= reason= deliver_status=-1", out
    (line,) = delivery_lines(env, mark, "CCLI2", 1)
    assert line["status"] == "deferred", line
    assert msg.current() == msg.data


def test_c_client():
    with AgentEnv() as env:
        c_client_checks(env)
        # No agent there: a warning and no reply.
        msg = env.put_message("CCLI3", [(None, "r@example.com")])
        res = subprocess.run(
            [DELIVERTOOL, env.inst.spool, "nosuch", "active",
             "CCLI3", "x", "3", "%d=r@example.com" % msg.offsets[0]],
            capture_output=True, text=True, timeout=60)
        assert res.returncode == 1, res
        assert "connect to transport private/nosuch" in res.stderr, res


def test_mixed_c_client_with_postfix_agents():
    if not have_postfix():
        raise Skip("needs root and Debian's postfix package")
    with AgentEnv(agents="postfix") as env:
        c_client_checks(env)


# --- mixed mode ---

MIXED_SCENARIOS = [
    # qid, service, nexthop, flags, recipients, notify
    ("MIX1", "discard", "test reason", DEFLT,
     [("orig1@example.com", "rcpt1@example.com"), (None, "rcpt2@example.com")],
     0),
    ("MIX2", "discard", "2.1.5 custom", 0, [(None, "r@example.com")], 0),
    ("MIX3", "discard", "5.1.1 wrong class", DEFLT,
     [(None, "r@example.com")], 0),
    ("MIX4", "discard", "traced", DEFLT | RECORD, [(None, "r@example.com")],
     0),
    ("MIX5", "discard", "notify", DEFLT, [(None, "r@example.com")], 2),
    ("MIX6", "error", "5.1.2 bad host", DEFLT,
     [("o@example.com", "r1@example.com"), (None, "a b@example.com")], 0),
    ("MIX7", "error", "4.4.1 temp", DEFLT, [(None, "r@example.com")], 0),
    ("MIX8", "error", "undeliverable", DEFLT | USR_VRFY,
     [(None, "r@example.com")], 0),
    ("MIX9", "retry", "later", DEFLT | RECORD, [(None, "r@example.com")], 0),
]


def normalize(line):
    """A log line without the values that depend on timing."""
    line = re.sub(r"delay=[0-9.]+", "delay=T", line)
    return re.sub(r"(delays=[0-9.]+/[0-9.]+/[0-9.]+)/[0-9.]+", r"\1/T", line)


def run_scenarios(env):
    results = {}
    for qid, service, nexthop, flags, rcpts, notify in MIXED_SCENARIOS:
        msg = env.put_message(qid, rcpts)
        mark = len(env.inst.log())
        reply = deliver(env, service, request(msg, nexthop, flags=flags,
                                              notify=notify))
        lines = env.wait_lines(mark, lambda x: x.startswith(qid + ": to="),
                               len(rcpts))
        warnings = [x for x in env.agent_lines(mark)
                    if x.startswith("warning:")]
        logs = {q: env.read(q, qid) for q in ("bounce", "defer", "trace")}
        results[qid] = (reply, [normalize(x) for x in lines], warnings,
                        msg.current(), logs)
    # Malformed: the same error reply.
    msg = env.put_message("MIXB", [(None, "r@example.com")])
    mark = len(env.inst.log())
    hdr = request_header(msg, "x")
    reply = deliver(env, "discard", attrs(hdr[:-1]) + attrs(
        request_rcpts(msg)[0]))
    env.wait_lines(mark, lambda x: "error receiving common attributes" in x)
    results["MIXB"] = (reply, msg.current())
    return results


def test_mixed_same_as_postfix():
    if not have_postfix():
        raise Skip("needs root and Debian's postfix package")
    if not our_program("bounce"):
        raise Skip("our bounce is not built (the comparison needs one "
                   "bounce for both)")
    with AgentEnv(agents="postfix", bounce="ours") as env:
        theirs = run_scenarios(env)
    with AgentEnv(agents="ours", bounce="ours") as env:
        ours = run_scenarios(env)
    for qid in sorted(theirs):
        assert ours[qid] == theirs[qid], "%s:\n ours   %r\n theirs %r" % (
            qid, ours[qid], theirs[qid])


if __name__ == "__main__":
    run_tests(globals())
