#!/usr/bin/env python3
"""test_mixed_qmgr - our queue managers inside a Postfix installation, and
Postfix's queue manager among our daemons (mixed mode).

All under our master, in one postfix-style instance (mail_owner postfix);
Postfix's daemons log through Postfix's postlogd into the instance's
maillog, ours write it themselves.

1. Our qmgr and oqmgr (each test runs for both) with Debian Postfix
   3.7's qmqpd, sendmail, postdrop, pickup, cleanup, trivial-rewrite,
   smtp, bounce and error (as error and retry), and Debian's smtp-sink
   on 127.0.0.1 as the relay host (relayhost = [127.0.0.1]:PORT):
     * a message queued by Postfix's qmqpd and cleanup, and one by
       Postfix's sendmail, postdrop, pickup and cleanup, are delivered by
       Postfix's smtp: the sink holds them, the log says status=sent with
       relay=127.0.0.1[127.0.0.1]:PORT, our queue manager logs "removed"
       and the queue file is gone;
     * a message for a destination whose sink rejects RCPT with 550
       (smtp-sink -f RCPT -B "550 ...") is bounced: Postfix's smtp logs
       status=bounced, Postfix's bounce queues a non-delivery notice
       through Postfix's cleanup, and our queue manager delivers that
       notice (from <>) to the relay host too;
     * one message, three recipients, three sinks (250, 550, 450):
       Postfix's smtp marks the first two done in the queue file, our
       queue manager defers the message with only the third left, and a
       flush (FADI) tries only that one again;
     * notices our queue manager asks Postfix's bounce for itself: the
       "sendmail -v" report (trace), a delay warning (delay_warning_time)
       and, after maximal_queue_lifetime = 0 and a reload, the expiry
       ("status=expired, returned to sender"); all delivered to the sink;
     * in-flow control: the queue manager keeps master's in-flow pipe at
       100 tokens (start-up, and after any event), as Postfix's qmgr does
       (also tested below); an empty pipe made Postfix's cleanup wait
       in_flow_delay (1 s) before taking the first message.
2. Postfix 3.7's qmgr (/usr/lib/postfix/sbin/qmgr, master.cf
   `qmgr unix n - n 300 1 qmgr`) with our cleanup, trivial-rewrite,
   bounce (bounce, defer, trace), discard and error (error, retry):
     * discard: our discard logs status=sent, the file is removed;
     * error: our error logs status=bounced, our bounce writes the bounce
       log and queues a notice through our cleanup, which Postfix's qmgr
       then delivers (from=<>);
     * retry: our error logs status=deferred, our bounce writes the defer
       log, Postfix's qmgr moves the file to deferred/;
     * discard + error + retry in one message: our agents mark their
       recipients done, Postfix's qmgr retries only the deferred one;
     * "sendmail -v" (trace_flags) and delay_warning_time: Postfix's qmgr
       has our bounce send the delivery report and the delay warning;
     * Postfix's qmgr keeps the in-flow pipe at 100 tokens (read through
       /proc/PID/fd/4 with FIONREAD; 60 taken, a W trigger refills).
Observed from Postfix (not bugs): its daemons re-read main.cf every
0.3 s at start-up until the file is a little older (about 2 s after a
write), so the tests backdate main.cf; Postfix's qmgr logs nrcpt= from
the size record on every activation, as our queue managers do.
Needs root, Debian's postfix package and smtp-sink; skipped otherwise,
with a line saying so. No test asserts a duration.
"""
import os
import pwd
import re
import socket
import subprocess
import time

from formats import queue_file as read_queue_file, record
from harness import Instance, Skip, program, run_tests, wait_for
import harness
import test_mixed
from qmgr_helpers import QmgrEnv, postfix_unavailable, queue_file, PF_SBIN

SINK = "/usr/sbin/smtp-sink"
OUR_DAEMONS = ("cleanup", "trivial-rewrite", "bounce", "discard", "error")


def unavailable(pf_daemons):
    why = postfix_unavailable()
    if why:
        return why
    for name in pf_daemons:
        if not os.path.exists(os.path.join(PF_SBIN, name)):
            return "Postfix's %s is not installed" % name
    return None


def backdate(inst):
    """Postfix 3.7's daemons (seen with strace: qmgr, qmqpd) re-read
    main.cf every 0.3 s at start-up until its mtime is some time in the
    past: a just-written main.cf delays them by about two seconds."""
    old = time.time() - 60
    for f in ("main.cf", "master.cf"):
        os.utime(os.path.join(inst.etc, f), (old, old))


def flow_pipe(env, name):
    """Master's in-flow pipe, opened for reading through descriptor 4 of
    the queue manager process (argv[0] name)."""
    def pid():
        for p in env.inst.processes():
            try:
                with open("/proc/%d/cmdline" % p, "rb") as f:
                    if f.read().split(b"\0")[0] == name.encode():
                        return p
            except OSError:
                pass
        return None
    qpid = wait_for(pid, what="the %s process" % name)
    return os.open("/proc/%d/fd/4" % qpid, os.O_RDONLY | os.O_NONBLOCK)


def flow_tokens(env, name):
    """Tokens waiting on the in-flow pipe (none taken)."""
    import array
    import fcntl
    import termios
    fd = flow_pipe(env, name)
    try:
        n = array.array("i", [0])
        fcntl.ioctl(fd, termios.FIONREAD, n)
        return n[0]
    finally:
        os.close(fd)


def take_tokens(env, name, count):
    fd = flow_pipe(env, name)
    try:
        return len(os.read(fd, count))
    finally:
        os.close(fd)


def check_flow_refill(env, name):
    """100 tokens at start-up; after 60 are taken, any event (a W
    trigger) tops the pipe up to 100 again; never more."""
    wait_for(lambda: flow_tokens(env, name) == 100,
             what="100 in-flow tokens")
    assert take_tokens(env, name, 60) == 60
    # (Not asserted: 40 left; an event may already be topping it up.)
    env.trigger(b"W")
    wait_for(lambda: flow_tokens(env, name) == 100,
             what="the in-flow pipe topped up")


def wait_listening(port, what):
    """Until something accepts on 127.0.0.1:port (one empty session)."""
    def ok():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    wait_for(ok, what=what)


class Sink:
    """Debian's smtp-sink on 127.0.0.1:port as the postfix account; with
    dump_dir every message is dumped to a file there."""

    def __init__(self, args=(), dump_dir=None):
        self.port = harness.free_port()
        cmd = [SINK, "-u", "postfix"]
        if dump_dir:
            cmd += ["-d", os.path.join(dump_dir, "msg.")]
        cmd += list(args) + ["127.0.0.1:%d" % self.port, "10"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.dump_dir = dump_dir
        try:
            wait_listening(self.port, "smtp-sink on port %d" % self.port)
        except Exception:
            self.stop()
            raise

    def messages(self):
        out = []
        # One file each, named by a random number: in no useful order.
        for name in os.listdir(self.dump_dir):
            with open(os.path.join(self.dump_dir, name), "rb") as f:
                out.append(f.read())
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Mixed(QmgrEnv):
    """A postfix-style instance under our master: `ours` is the set of
    our programs (linked), `theirs` the Postfix daemons (linked from
    /usr/lib/postfix/sbin), `master_cf` the services; Postfix's postlogd
    writes their log lines into the maillog. QmgrEnv's helpers (submit,
    where, wait_where, wait_log, trigger) work on it."""

    def __init__(self, ours, theirs, master_cf, main_cf, qmgr_name):
        for p in ours:
            if not os.path.exists(program(p)):
                raise Skip("%s is not built" % p)
        self.qmgr = qmgr_name
        self.postfix = True
        self.inst = inst = Instance("", programs=ours)
        self.sinks = []
        try:
            os.makedirs(os.path.join(inst.dir, "data"))
            for name in tuple(theirs) + ("postlogd",):
                os.symlink(os.path.join(PF_SBIN, name),
                           os.path.join(inst.libexec, name))
            test_mixed.make_world_readable(inst)
            # postlogd writes only under maillog_file_prefixes.
            test_mixed.postfix_main_cf(
                inst, "maillog_file_prefixes = %s\nmaillog_file = %s\n"
                "mydomain = example\n" % (os.path.dirname(inst.dir),
                                          inst.maillog) + main_cf)
            inst.write_master_cf(
                master_cf + "postlog unix-dgram n - n - 1 postlogd\n"
                "qmgr unix n - n 300 1 %s\n" % qmgr_name)
            for f in ("main.cf", "master.cf"):
                os.chmod(os.path.join(inst.etc, f), 0o644)
            backdate(inst)
            subprocess.run([program("postern"), "-c", inst.etc, "check"],
                           check=True, capture_output=True)
            pw = pwd.getpwnam("postfix")
            with open(inst.maillog, "a"):
                pass
            os.chown(inst.maillog, pw.pw_uid, pw.pw_gid)
        except BaseException:
            inst.cleanup()
            raise

    def add_sink(self, args=(), dump=False):
        dump_dir = None
        if dump:
            dump_dir = os.path.join(self.inst.dir, "sink%d" % len(self.sinks))
            os.makedirs(dump_dir)
            pw = pwd.getpwnam("postfix")
            os.chown(dump_dir, pw.pw_uid, pw.pw_gid)
        sink = Sink(args, dump_dir)
        self.sinks.append(sink)
        return sink

    def __exit__(self, *exc):
        try:
            self.inst.cleanup()
        finally:
            for sink in self.sinks:
                sink.stop()


# --- 1. our queue manager, Postfix's everything else ---

PF_AROUND_OURS = ("qmqpd", "pickup", "cleanup", "trivial-rewrite", "smtp",
                  "scache", "bounce", "error")


def our_qmgr_world(qmgr, main_cf="", before_start=None):
    """Our qmgr among Postfix's daemons, three smtp-sinks: `ok` (the
    relay host, dumps what it gets), `bad` (550 to RCPT: reject.example)
    and `soft` (450 to RCPT: later.example). A Mixed, started."""
    why = unavailable(PF_AROUND_OURS + ("postlogd",))
    if why:
        raise Skip(why)
    for path in (SINK, "/usr/sbin/sendmail", "/usr/sbin/postdrop"):
        if not os.path.exists(path):
            raise Skip("%s is not installed" % path)
    qport = harness.free_port()
    master_cf = (
        "127.0.0.1:%d inet n - n - - qmqpd\n"
        "pickup unix n - n 60 1 pickup\n"
        "cleanup unix n - n - 0 cleanup\n"
        "rewrite unix - - n - - trivial-rewrite\n"
        "bounce unix - - n - 0 bounce\n"
        "defer unix - - n - 0 bounce\n"
        "trace unix - - n - 0 bounce\n"
        "smtp unix - - n - - smtp\n"
        "scache unix - - n - 1 scache\n"
        "error unix - - n - - error\n"
        "retry unix - - n - - error\n" % qport)
    env = Mixed((qmgr,), PF_AROUND_OURS, master_cf, "", qmgr)
    try:
        # The sinks dump into the instance: main.cf is written again
        # with their ports.
        env.qport = qport
        env.ok = env.add_sink(dump=True)
        env.bad = env.add_sink(["-f", "RCPT", "-B",
                                "550 5.1.1 No such user here"])
        env.soft = env.add_sink(["-r", "RCPT", "-b",
                                 "450 4.2.0 Mailbox busy"])
        test_mixed.postfix_main_cf(
            env.inst, "maillog_file_prefixes = %s\nmaillog_file = %s\n"
            "mydomain = example\n"
            "qmqpd_authorized_clients = 127.0.0.1\n"
            "qmqpd_error_delay = 0\n"
            "relayhost = [127.0.0.1]:%d\n"
            "smtp_dns_support_level = disabled\n"
            "smtp_connection_cache_on_demand = no\n"
            "transport_maps = inline:{ "
            "reject.example=smtp:[127.0.0.1]:%d, "
            "later.example=smtp:[127.0.0.1]:%d }\n" % (
                os.path.dirname(env.inst.dir), env.inst.maillog,
                env.ok.port, env.bad.port, env.soft.port) + main_cf)
        os.chmod(os.path.join(env.inst.etc, "main.cf"), 0o644)
        backdate(env.inst)
        if before_start:
            before_start(env)
        env.start()
    except BaseException:
        env.__exit__(None, None, None)
        raise
    return env


def line_of(env, text, since=0):
    """The first log line with text, once there: Postfix's lines come
    through postlogd (datagrams) and may land after later lines of ours
    (seen: our qmgr's "removed" before Postfix's smtp "status=sent")."""
    env.wait_log(text, since=since)
    return env.log_lines(text, since)[0]


def relay(sink):
    return "relay=127.0.0.1[127.0.0.1]:%d" % sink.port


def qmqp(env, rcpts, subject):
    """Queue a message through Postfix's qmqpd and cleanup; its ID."""
    reply = test_mixed.qmqp_send(
        env.qport, b"Received: by client.example; "
        b"Mon, 1 Jan 2024 00:00:00 +0000\nSubject: %s\n"
        b"Message-Id: <%s@example.org>\n\nhello\n" %
        (subject, subject.replace(b" ", b".")),
        b"sender@example.org", rcpts)
    m = re.match(rb"^\d+:KOk: queued as ([0-9A-Za-z]+),$", reply)
    assert m, reply
    return m.group(1).decode()


def sent_through_sink(env, qid, rcpt):
    """qid's delivery to rcpt: Postfix's smtp said status=sent via the
    ok sink."""
    line_of(env, "%s: to=<%s>" % (qid, rcpt))
    lines = env.log_lines("%s: to=<%s>" % (qid, rcpt))
    assert len(lines) == 1, (rcpt, lines)
    assert "postfix/smtp[" in lines[0] and relay(env.ok) in lines[0], lines
    assert "dsn=2.0.0" in lines[0], lines
    assert "status=sent (250 2.0.0 Ok)" in lines[0], lines


def check_delivered_and_bounced(qmgr):
    with our_qmgr_world(qmgr) as env:
        # Delivered to the relay host.
        qid = qmqp(env, [b"rcpt@example.net"], b"to the sink")
        env.wait_log("%s: removed" % qid)
        assert "postern/%s[" % qmgr in env.log_lines("%s: removed" % qid)[0]
        sent_through_sink(env, qid, "rcpt@example.net")
        line = env.log_lines("%s: from=<sender@example.org>, size=" % qid)[0]
        assert "postern/%s[" % qmgr in line and "nrcpt=1 (queue active)" \
            in line, line
        assert env.where(qid) is None
        got = env.ok.messages()
        assert len(got) == 1 and b"Subject: to the sink" in got[0], got
        assert b"X-Rcpt-Args: <rcpt@example.net>" in got[0], got

        # Postfix's sendmail and postdrop, then pickup and cleanup: the
        # same way to the relay host.
        mark = env.mark()
        res = subprocess.run(
            ["/usr/sbin/sendmail", "-f", "sender@example.org",
             "local@example.net"],
            input=b"Subject: via pickup\n\nhello pickup\n",
            env=dict(os.environ, MAIL_CONFIG=env.inst.etc),
            capture_output=True, timeout=60)
        assert res.returncode == 0, res.stderr
        found = wait_for(lambda: re.search(
            r"postfix/pickup\[\d+\]: (\w+): uid=0 from=<sender@example.org>",
            env.log()[mark:]), what="Postfix's pickup")
        pqid = found.group(1)
        env.wait_log("%s: removed" % pqid, since=mark)
        sent_through_sink(env, pqid, "local@example.net")
        assert env.where(pqid) is None
        got = env.ok.messages()
        assert len(got) == 2, got
        assert [m for m in got if b"hello pickup" in m], got

        # Rejected by the other sink: bounced by Postfix's smtp, the
        # notice queued by Postfix's bounce and cleanup, delivered by us.
        mark = env.mark()
        bad = qmqp(env, [b"nobody@reject.example"], b"to be rejected")
        env.wait_log("%s: removed" % bad, since=mark)
        line = line_of(env, "%s: to=<nobody@reject.example>" % bad)
        assert relay(env.bad) in line, line
        assert "dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] " \
            "said: 550 5.1.1 No such user here (in reply to RCPT TO " \
            "command))" in line, line
        env.wait_log("%s: sender non-delivery notification: " % bad,
                     since=mark)
        nqid = env.log().split("%s: sender non-delivery notification: "
                               % bad)[1].split()[0]
        env.wait_log("%s: removed" % nqid, since=mark)
        assert "%s: from=<>, size=" % nqid in env.log()
        sent_through_sink(env, nqid, "sender@example.org")
        got = env.ok.messages()
        assert len(got) == 3, got
        notice = [m for m in got if b"nobody@reject.example" in m]
        assert notice and b"Undelivered Mail Returned to Sender" in \
            notice[0], got
        assert b"X-Mail-Args: <>" in notice[0], notice
        assert env.files("active") == [] and env.files("corrupt") == []
        assert env.files("incoming") == [] and env.files("deferred") == []
        assert env.files("bounce") == [] and env.files("defer") == []


def check_partial_delivery(qmgr):
    """Three recipients, three sinks: one accepted, one rejected (550),
    one deferred (450). Postfix's smtp marks the finished recipients done
    in the queue file; our queue manager keeps the message in deferred/
    with only the deferred one left, and after a flush tries only that
    one again."""
    with our_qmgr_world(qmgr) as env:
        qid = qmqp(env, [b"ok@example.net", b"no@reject.example",
                         b"busy@later.example"], b"three ways")
        env.wait_where(qid, "deferred")
        sent_through_sink(env, qid, "ok@example.net")
        line = line_of(env, "%s: to=<no@reject.example>" % qid)
        assert relay(env.bad) in line and "status=bounced" in line, line
        line = line_of(env, "%s: to=<busy@later.example>" % qid)
        assert relay(env.soft) in line, line
        assert "dsn=4.2.0, status=deferred (host 127.0.0.1[127.0.0.1] " \
            "said: 450 4.2.0 Mailbox busy (in reply to RCPT TO command))" \
            in line, line
        # The bounced recipient's notice went out at once.
        line = line_of(env, "%s: sender non-delivery notification: " % qid)
        nqid = line.split("notification: ")[1].split()[0]
        env.wait_log("%s: removed" % nqid)
        sent_through_sink(env, nqid, "sender@example.org")
        # Only the deferred recipient is still to do.
        recs = read_queue_file(env.path("deferred", qid))
        todo = [p for t, p in recs if t == "R"]
        assert todo == [b"busy@later.example"], recs
        with open(env.path("defer", qid)) as f:
            text = f.read()
        assert "busy@later.example" in text and "ok@example.net" not in text
        mark = env.mark()
        env.trigger(b"FADI")
        env.wait_log("%s: to=<busy@later.example>" % qid, since=mark)
        env.wait_where(qid, "deferred")
        again = env.log()[mark:]
        assert "%s: to=<ok@example.net>" % qid not in again, again
        assert "%s: to=<no@reject.example>" % qid not in again, again
        # nrcpt is the count in the size record, not what is left: Postfix's
        # qmgr logs nrcpt=3 again too (test_postfix_qmgr_partial_delivery).
        assert "%s: from=<sender@example.org>, size=" % qid in again, again
        assert "nrcpt=3 (queue active)" in again, again
        assert len(env.ok.messages()) == 2, env.ok.messages()


def check_notices_by_postfix_bounce(qmgr):
    """Notices our queue manager asks Postfix's bounce for (not driven by
    an agent's bounce): the "sendmail -v" report (trace), the delay
    warning (defer, warn) and, once maximal_queue_lifetime is 0, the
    expiry (defer, flush as bounce); each queued by Postfix's cleanup and
    delivered by us to the relay host."""
    with our_qmgr_world(qmgr, "delay_warning_time = 1s\n") as env:
        mark = env.mark()
        res = subprocess.run(
            ["/usr/sbin/sendmail", "-v", "-f", "sender@example.org",
             "traced@example.net"],
            input=b"Subject: traced\n\nhello -v\n",
            env=dict(os.environ, MAIL_CONFIG=env.inst.etc),
            capture_output=True, timeout=60)
        assert res.returncode == 0, res.stderr
        found = wait_for(lambda: re.search(
            r"postfix/pickup\[\d+\]: (\w+): uid=0 from=<sender@example.org>",
            env.log()[mark:]), what="Postfix's pickup")
        qid = found.group(1)
        line = line_of(env, "%s: sender delivery status notification: " % qid)
        assert "postfix/bounce[" in line, line
        rqid = line.split("notification: ")[1].split()[0]
        env.wait_log("%s: removed" % qid)
        env.wait_log("%s: removed" % rqid)
        sent_through_sink(env, qid, "traced@example.net")
        sent_through_sink(env, rqid, "sender@example.org")
        report = [m for m in env.ok.messages()
                  if b"Subject: Mail Delivery Status Report" in m]
        assert len(report) == 1 and b"traced@example.net" in report[0], \
            env.ok.messages()

        # Deferred by the 450 sink; once the W record's time has come, a
        # delay warning.
        slow = qmqp(env, [b"busy@later.example"], b"slow one")
        env.wait_where(slow, "deferred")

        def warned():
            if "%s: sender delay notification: " % slow in env.log():
                return True
            env.trigger(b"FADI")
            time.sleep(0.2)
            return False
        wait_for(warned, timeout=20, what="the delay notification")
        line = line_of(env, "%s: sender delay notification: " % slow)
        assert "postfix/bounce[" in line, line
        wqid = line.split("notification: ")[1].split()[0]
        env.wait_log("%s: removed" % wqid)
        sent_through_sink(env, wqid, "sender@example.org")
        warning = [m for m in env.ok.messages()
                   if b"Delayed Mail (still being retried)" in m]
        assert len(warning) == 1 and b"busy@later.example" in warning[0], \
            env.ok.messages()
        env.wait_where(slow, "deferred")

        # maximal_queue_lifetime = 0: returned to the sender.
        with open(os.path.join(env.inst.etc, "main.cf"), "a") as f:
            f.write("maximal_queue_lifetime = 0\n")
        backdate(env.inst)
        env.inst.reload()
        mark = env.mark()
        env.trigger(b"FADI")
        env.wait_log("%s: from=<sender@example.org>, status=expired, "
                     "returned to sender" % slow, since=mark)
        line = line_of(env, "%s: sender non-delivery notification: " % slow,
                       since=mark)
        assert "postfix/bounce[" in line, line
        bqid = line.split("notification: ")[1].split()[0]
        env.wait_log("%s: removed" % slow, since=mark)
        env.wait_log("%s: removed" % bqid, since=mark)
        sent_through_sink(env, bqid, "sender@example.org")
        assert env.where(slow) is None
        assert env.files("defer") == [] and env.files("deferred") == []


def test_our_qmgr_notices_by_postfix_bounce():
    check_notices_by_postfix_bounce("qmgr")


def test_our_oqmgr_notices_by_postfix_bounce():
    check_notices_by_postfix_bounce("oqmgr")


def check_in_flow_tokens(qmgr):
    """Our queue manager keeps master's in-flow pipe at 100 tokens, as
    Postfix's qmgr does (test_postfix_qmgr_in_flow_tokens): with an
    empty pipe Postfix's cleanup waits in_flow_delay (1 s) before it
    takes a message (seen with strace: read(3) EAGAIN, then a one-second
    pselect)."""
    with our_qmgr_world(qmgr) as env:
        check_flow_refill(env, qmgr)
        # Postfix's cleanup takes one for each message; back to 100.
        for i in range(3):
            qid = qmqp(env, [b"rcpt@example.net"], b"token %d" % i)
            env.wait_log("%s: removed" % qid)
        wait_for(lambda: flow_tokens(env, qmgr) == 100,
                 what="100 in-flow tokens again")


CACHE_CF = ("smtp_connection_cache_on_demand = yes\n"
            "default_destination_concurrency_limit = 2\n")


def queue_backlog(env, count=30):
    """count queue files for one destination, in incoming/ before the
    queue manager starts: a backlog."""
    ids = ["E1B2C3D4%02d" % i for i in range(count)]
    for i, qid in enumerate(ids):
        env.put_file("incoming", qid,
                     queue_file(rcpts=("r%d@example.net" % i,)))
    return ids


def reused_connections(env, ids):
    for qid in ids:
        env.wait_log("%s: removed" % qid, timeout=60)
    lines = [line_of(env, "%s: to=<" % qid) for qid in ids]
    assert all("postfix/smtp[" in line and "status=sent" in line
               for line in lines), lines
    return [line for line in lines if ", conn_use=" in line]


def check_connection_cache(qmgr):
    """Connection caching on demand: 30 queued messages for one
    destination (concurrency 2). Postfix's qmgr has its smtp reuse
    connections through scache (test_postfix_qmgr_connection_cache: 27
    of 30 "conn_use=" when observed); before qcore set the CONN_LOAD and
    CONN_STORE request flags, Postfix's smtp under our queue managers
    reused none."""
    ids = []
    with our_qmgr_world(qmgr, CACHE_CF,
                        lambda env: ids.extend(queue_backlog(env))) as env:
        reused = reused_connections(env, ids)
        assert reused, env.log()
        assert len(env.ok.messages()) == len(ids)


def test_our_qmgr_connection_cache():
    check_connection_cache("qmgr")


def test_our_oqmgr_connection_cache():
    check_connection_cache("oqmgr")


def test_our_qmgr_in_flow_tokens():
    check_in_flow_tokens("qmgr")


def test_our_oqmgr_in_flow_tokens():
    check_in_flow_tokens("oqmgr")


def test_our_qmgr_delivered_and_bounced():
    check_delivered_and_bounced("qmgr")


def test_our_oqmgr_delivered_and_bounced():
    check_delivered_and_bounced("oqmgr")


def test_our_qmgr_partial_delivery():
    check_partial_delivery("qmgr")


def test_our_oqmgr_partial_delivery():
    check_partial_delivery("oqmgr")


# --- 2. Postfix's queue manager, our everything else ---

OUR_SERVICES = (
    "cleanup unix n - n - 0 cleanup\n"
    "rewrite unix - - n - - trivial-rewrite\n"
    "bounce unix - - n - 0 bounce\n"
    "defer unix - - n - 0 bounce\n"
    "trace unix - - n - 0 bounce\n"
    "discard unix - - n - - discard\n"
    "error unix - - n - - error\n"
    "retry unix - - n - - error\n")

TRANSPORTS = ("default_transport = discard\nlocal_transport = discard\n"
              "transport_maps = inline:{ discard.example=discard:, "
              "{ error.example = error:5.1.1 no such user }, "
              "{ retry.example = retry:4.4.1 try again later } }\n")


def postfix_qmgr_world():
    why = unavailable(("qmgr", "postlogd"))
    if why:
        raise Skip(why)
    return Mixed(OUR_DAEMONS, ("qmgr",), OUR_SERVICES, TRANSPORTS, "qmgr")


def test_postfix_qmgr_in_flow_tokens():
    """What our queue managers copy: Postfix's qmgr keeps the in-flow
    pipe at 100 tokens (our cleanup takes none, and it stays at 100)."""
    with postfix_qmgr_world() as env:
        env.start()
        check_flow_refill(env, "qmgr")
        qid = env.submit(["a@discard.example"])
        env.wait_log("%s: removed" % qid)
        assert flow_tokens(env, "qmgr") == 100


def test_postfix_qmgr_connection_cache():
    """The reference for check_connection_cache: Postfix's qmgr, smtp and
    scache, our cleanup, trivial-rewrite and bounce."""
    why = unavailable(("qmgr", "postlogd", "smtp", "scache"))
    if why:
        raise Skip(why)
    if not os.path.exists(SINK):
        raise Skip("%s is not installed" % SINK)
    services = OUR_SERVICES + ("smtp unix - - n - - smtp\n"
                               "scache unix - - n - 1 scache\n")
    with Mixed(OUR_DAEMONS, ("qmgr", "smtp", "scache"), services, "",
               "qmgr") as env:
        env.ok = env.add_sink(dump=True)
        test_mixed.postfix_main_cf(
            env.inst, "maillog_file_prefixes = %s\nmaillog_file = %s\n"
            "mydomain = example\nrelayhost = [127.0.0.1]:%d\n"
            "smtp_dns_support_level = disabled\n" % (
                os.path.dirname(env.inst.dir), env.inst.maillog,
                env.ok.port) + CACHE_CF)
        backdate(env.inst)
        ids = queue_backlog(env)
        env.start()
        assert reused_connections(env, ids), env.log()
        assert len(env.ok.messages()) == len(ids)


def test_postfix_qmgr_our_discard():
    with postfix_qmgr_world() as env:
        env.start()
        qid = env.submit(["a@discard.example", "b@discard.example"])
        env.wait_log("%s: removed" % qid)
        assert "postfix/qmgr[" in env.log_lines("%s: removed" % qid)[0]
        line = line_of(env, "%s: from=<sender@example.org>" % qid)
        assert "postfix/qmgr[" in line and "nrcpt=2 (queue active)" in line
        sent = env.log_lines("%s: to=<" % qid)
        assert len(sent) == 2, sent
        for line in sent:
            assert "postern/discard[" in line, line
            assert "relay=none" in line and "status=sent" in line, line
        assert env.where(qid) is None


def test_postfix_qmgr_our_error_and_bounce():
    with postfix_qmgr_world() as env:
        env.start()
        qid = env.submit(["nobody@error.example"])
        env.wait_log("%s: removed" % qid)
        line = env.log_lines("%s: to=<nobody@error.example>" % qid)[0]
        assert "postern/error[" in line, line
        assert "dsn=5.1.1" in line, line
        assert "status=bounced (no such user)" in line, line
        # Our bounce queued the notice through our cleanup ...
        env.wait_log("%s: sender non-delivery notification: " % qid)
        note = env.log_lines("%s: sender non-delivery notification: "
                             % qid)[0]
        assert "postern/bounce[" in note, note
        nqid = note.split("notification: ")[1].split()[0]
        # ... and Postfix's qmgr delivered it to the sender (discard).
        env.wait_log("%s: removed" % nqid)
        line = line_of(env, "%s: from=<>, size=" % nqid)
        assert "postfix/qmgr[" in line, line
        line = env.log_lines("%s: to=<sender@example.org>" % nqid)[0]
        assert "postern/discard[" in line and "status=sent" in line, line
        assert not os.path.exists(os.path.join(env.inst.spool, "bounce",
                                               qid))
        # A sender whose mail is deferred: the notice stays in the queue,
        # where we read what our bounce made of the bounce log.
        mark = env.mark()
        qid2 = env.submit(["nobody2@error.example"], sender="s@retry.example")
        found = wait_for(lambda: re.search(
            r"%s: sender non-delivery notification: (\w+)" % qid2,
            env.log()[mark:]), what="the second notice")
        nqid2 = found.group(1)
        env.wait_where(nqid2, "deferred")
        env.wait_gone(qid2)
        recs = read_queue_file(env.path("deferred", nqid2))
        assert ("S", b"") in recs, recs
        assert [p for t, p in recs if t == "R"] == [b"s@retry.example"], recs
        text = b"\n".join(p for t, p in recs if t in ("N", "L"))
        assert b"<nobody2@error.example>: no such user" in text, text
        assert b"Undelivered Mail Returned to Sender" in text, text
        assert env.files("active") == [] and env.files("corrupt") == []


def test_postfix_qmgr_our_retry_defers():
    with postfix_qmgr_world() as env:
        env.start()
        qid = env.submit(["later@retry.example"])
        env.wait_where(qid, "deferred")
        line = env.log_lines("%s: to=<later@retry.example>" % qid)[0]
        assert "postern/error[" in line, line
        assert "dsn=4.4.1" in line, line
        assert "status=deferred (try again later)" in line, line
        # Our bounce (as defer) wrote the defer log Postfix's qmgr needs.
        with open(env.path("defer", qid)) as f:
            log = f.read()
        assert "try again later" in log and "later@retry.example" in log
        assert os.stat(env.path("deferred", qid)).st_mtime > time.time()
        assert env.files("active") == [] and env.files("corrupt") == []


def test_postfix_qmgr_partial_delivery():
    """Our discard and error mark their recipients done in the queue
    file; Postfix's qmgr leaves only the deferred one for the retry."""
    with postfix_qmgr_world() as env:
        env.start()
        qid = env.submit(["a@discard.example", "later@retry.example",
                          "b@error.example"])
        env.wait_where(qid, "deferred")
        env.wait_log("%s: sender non-delivery notification: " % qid)
        for rcpt, status in (("a@discard.example", "status=sent"),
                             ("b@error.example", "status=bounced"),
                             ("later@retry.example", "status=deferred")):
            line = env.log_lines("%s: to=<%s>" % (qid, rcpt))[0]
            assert status in line, line
        recs = read_queue_file(env.path("deferred", qid))
        todo = [p for t, p in recs if t == "R"]
        assert todo == [b"later@retry.example"], recs
        mark = env.mark()
        env.trigger(b"FADI")
        env.wait_log("%s: to=<later@retry.example>" % qid, since=mark)
        env.wait_where(qid, "deferred")
        again = env.log()[mark:]
        assert "%s: to=<a@discard.example>" % qid not in again, again
        assert "%s: to=<b@error.example>" % qid not in again, again
        # Postfix's qmgr logs the size record's count, not what is left.
        line = line_of(env, "%s: from=<sender@example.org>, size=" % qid,
                       since=mark)
        assert "nrcpt=3 (queue active)" in line, line
        assert len(env.log_lines("sender non-delivery notification")) == 1


def test_postfix_qmgr_our_trace_and_delay_notices():
    """Postfix's qmgr asks our bounce (trace) for a "sendmail -v" report,
    and (defer) for a delay warning once the W record's time has come."""
    with postfix_qmgr_world() as env:
        with open(os.path.join(env.inst.etc, "main.cf"), "a") as f:
            f.write("delay_warning_time = 1s\n")
        backdate(env.inst)
        env.start()
        qid = env.submit(["v@discard.example"],
                         extra_env=[record("A", "trace_flags=1024")])
        env.wait_log("%s: sender delivery status notification: " % qid)
        line = env.log_lines("%s: sender delivery status notification: "
                             % qid)[0]
        assert "postern/bounce[" in line, line
        env.wait_log("%s: removed" % qid)
        assert not os.path.exists(env.path("trace", qid))

        slow = env.submit(["slow@retry.example"])
        env.wait_where(slow, "deferred")

        def warned():
            if "%s: sender delay notification: " % slow in env.log():
                return True
            env.trigger(b"FADI")
            return False
        wait_for(warned, timeout=20, what="the delay notification")
        line = env.log_lines("%s: sender delay notification: " % slow)[0]
        assert "postern/bounce[" in line, line
        env.wait_where(slow, "deferred")


if __name__ == "__main__":
    run_tests(globals())
