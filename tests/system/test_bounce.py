#!/usr/bin/env python3
"""test_bounce - the bounce, defer and trace services through real sockets.

A real master runs our bounce program as the bounce, defer and trace
services, beside a cleanup service: Postern's own cleanup when this build
has one (harness.PROGRAMS["cleanup"]), otherwise Debian Postfix 3.7's
cleanup and trivial-rewrite (as test_mixed.py runs them; needs root).
Tests talk the delivery status protocol from Python (formats.py), look
at the log files bounce writes, and read the notices back from the queue
files cleanup wrote, parsing them with Python's email package:

  * APPEND writes the exact per-recipient record (spec f.1, as Postfix
    3.7 writes it), in bounce/, defer/ (hashed) and trace/, mode 0600;
    malformed requests get a non-zero status;
  * FLUSH sends a valid RFC 3464 report to the sender from the null
    sender and removes the log; DSN NOTIFY=NEVER recipients are left out;
  * a bounce of a bounce goes to 2bounce_notice_recipient from
    double_bounce_sender; mail from the double-bounce address is never
    bounced (no loops); notify_classes=bounce sends the postmaster a copy;
  * WARN sends a delay warning and keeps the log; TRACE a delivery report;
  * mixed mode: Postfix 3.7's bounce, given the same queue file and log,
    writes the same log bytes and composes a notice with the same DSN
    fields.
No test asserts a duration.
"""
import email
import email.policy
import email.utils
import glob
import os
import pwd
import shutil
import socket
import subprocess
import time

import harness
from formats import AttrReader, attr_list, read_records, record
from harness import Instance, Skip, program, run_tests, wait_for

PF_SBIN = "/usr/lib/postfix/sbin"
HOST = "bounce.example"
QID = "ABC1234567"


def have_postfix():
    if os.getuid() != 0 or not os.path.exists(os.path.join(PF_SBIN, "bounce")):
        return False
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return False
    return True


def our_program(name):
    return name in harness.PROGRAMS and os.path.exists(program(name))


def cleanup_kind():
    """'ours', 'postfix', or None (no cleanup to test with)."""
    if our_program("cleanup"):
        return "ours"
    if have_postfix():
        return "postfix"
    return None


BOUNCE_SERVICES = ("bounce unix - - n - 0 bounce\n"
                   "defer unix - - n - 0 bounce\n"
                   "trace unix - - n - 0 bounce\n")


class BounceEnv:
    """An instance with our bounce and a cleanup (or none: need=False)."""

    def __init__(self, main_cf="", need_cleanup=True, postfix_bounce=False,
                 postfix_agents=()):
        self.kind = cleanup_kind() if need_cleanup else None
        if need_cleanup and self.kind is None:
            raise Skip("no cleanup service: ours is not built and Debian's "
                       "Postfix is unavailable (needs root)")
        if (postfix_bounce or postfix_agents) and not have_postfix():
            raise Skip("needs root and Debian's postfix package")
        self.postfix_style = (self.kind == "postfix" or postfix_bounce or
                              bool(postfix_agents))
        progs = ["bounce"]
        if self.kind == "ours":
            progs.append("cleanup")
            if our_program("trivial-rewrite"):
                progs.append("trivial-rewrite")
        self.inst = Instance("", programs=tuple(progs))
        inst = self.inst
        master_cf = BOUNCE_SERVICES
        if self.kind == "ours":
            master_cf += "cleanup unix n - n - 0 cleanup\n"
            if "trivial-rewrite" in progs:
                master_cf += "rewrite unix - - n - - trivial-rewrite\n"
        pf = []
        if self.kind == "postfix":
            pf += ["cleanup", "trivial-rewrite"]
            master_cf += ("cleanup unix n - n - 0 cleanup -o maillog_file=\n"
                          "rewrite unix - - n - - trivial-rewrite "
                          "-o maillog_file=\n")
        if postfix_bounce:
            # Postfix's bounce under another service name works on the
            # bounce/ log like ours (the name is not defer or trace).
            shutil.copy(os.path.join(PF_SBIN, "bounce"),
                        os.path.join(inst.libexec, "pfbounce"))
            master_cf += "pfbounce unix - - n - 0 pfbounce -o maillog_file=\n"
        for name in postfix_agents:
            pf.append(name)
            master_cf += "%s unix - - n - - %s -o maillog_file=\n" % (name,
                                                                       name)
        for name in pf:
            os.symlink(os.path.join(PF_SBIN, name),
                       os.path.join(inst.libexec, name))
        # in_flow_delay: no queue manager hands out in-flow tokens here, so
        # a cleanup that waits for one would only slow the tests down.
        base = ("myhostname = %s\nmydomain = example\nin_flow_delay = 0s\n"
                % HOST) + main_cf
        if self.postfix_style:
            import test_mixed
            os.makedirs(os.path.join(inst.dir, "data"))
            test_mixed.make_world_readable(inst)
            test_mixed.postfix_main_cf(
                inst, "maillog_file = %s\n" % inst.maillog + base)
            # postfix_main_cf sets its own myhostname first; ours wins
            # because the last definition counts.
            subprocess.run([program("postern"), "-c", inst.etc, "check"],
                           check=True, capture_output=True)
            self.owner = pwd.getpwnam("postfix")
        else:
            inst.write_main_cf(base)
            self.owner = pwd.getpwuid(os.getuid())
        inst.write_master_cf(master_cf)
        # The spool directories (bounce/, defer/, trace/, incoming/, ...).
        subprocess.run([program("postern"), "-c", inst.etc, "check"],
                       check=True, capture_output=True)
        # The log file must exist and be writable by the daemons' account.
        with open(inst.maillog, "a"):
            pass
        os.chown(inst.maillog, self.owner.pw_uid, self.owner.pw_gid)
        inst.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.inst.cleanup()

    # --- spool helpers ---

    def queue_dir(self, queue, qid):
        d = os.path.join(self.inst.spool, queue)
        if queue in ("deferred", "defer"):
            d = os.path.join(d, qid[0])
        return d

    def put_file(self, queue, qid, data, mode=0o700):
        d = self.queue_dir(queue, qid)
        os.makedirs(d, exist_ok=True)
        os.chown(d, self.owner.pw_uid, self.owner.pw_gid)
        path = os.path.join(d, qid)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        return path

    def log_path(self, queue, qid=QID):
        return os.path.join(self.queue_dir(queue, qid), qid)

    def read_log(self, queue, qid=QID):
        with open(self.log_path(queue, qid), "rb") as f:
            return f.read()

    def put_message(self, qid=QID, sender="sender@example.org",
                    rcpts=("rcpt1@example.net", "rcpt2@example.net"),
                    body=None, queue="active"):
        data, offsets = queue_file(sender, rcpts, body)
        self.put_file(queue, qid, data)
        return offsets

    def incoming(self):
        found = {}
        for path in glob.glob(os.path.join(self.inst.spool, "incoming",
                                           "**"), recursive=True):
            if os.path.isfile(path) and os.stat(path).st_mode & 0o700 == 0o700:
                found[os.path.basename(path)] = path
        return found

    # --- protocol ---

    def request(self, service, pairs):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.inst.socket_path(service))
        reader = AttrReader(s, timeout=30)
        announce = reader.read_list()
        assert announce == {"protocol": "delivery_status_protocol"}, announce
        s.sendall(attr_list(pairs))
        reply = reader.read_list()
        s.close()
        return int(reply["status"])

    def append(self, service, rcpt, qid=QID, flags=0):
        return self.request(service, [("nrequest", 0), ("flags", flags),
                                      ("queue_id", qid)] + rcpt_attrs(rcpt))

    def notify(self, service, nrequest, qid=QID, sender="sender@example.org",
               flags=0, envid="", ret=0, queue="active", extra=()):
        return self.request(service, msg_attrs(nrequest, queue, qid, sender,
                                               flags, envid, ret) +
                            list(extra))

    def wait_notices(self, before, count):
        """The queue files that appeared since before, once there are count."""
        def new():
            now = self.incoming()
            fresh = {k: v for k, v in now.items() if k not in before}
            return fresh if len(fresh) >= count else None
        return wait_for(new, what="%d new queue file(s)" % count)


def rcpt_attrs(r):
    return [("original_recipient", r.get("orig", "")),
            ("recipient", r["rcpt"]), ("offset", r.get("offset", 0)),
            ("dsn_orig_rcpt", r.get("dsn_orig_rcpt", "")),
            ("notify_flags", r.get("notify", 0)),
            ("status", r.get("status", "5.1.1")),
            ("diag_type", r.get("diag_type", "")),
            ("diag_text", r.get("diag_text", "")),
            ("mta_type", r.get("mta_type", "")),
            ("mta_mname", r.get("mta_mname", "")),
            ("action", r.get("action", "failed")),
            ("reason", r.get("reason", "no such user"))]


def msg_attrs(nrequest, queue, qid, sender, flags=0, envid="", ret=0):
    return [("nrequest", nrequest), ("flags", flags), ("queue_name", queue),
            ("queue_id", qid), ("encoding", ""), ("smtputf8", 0),
            ("sender", sender), ("envelope_id", envid), ("ret_flags", ret)]


BODY = (b"Subject: test message\nFrom: s@example.org\n"
        b"Message-Id: <m1@example.org>\n\nhello\nworld\n")


def queue_file(sender, rcpts, body=None, arrival=1700000000):
    """A complete queue file (spec b.3); returns (bytes, R offsets)."""
    body = BODY if body is None else body
    out = record("C", b"%15d %15d %15d %15d %15d %15d" % (0, 0, 0, 0, 0, 0))
    out += record("T", b"%d 0" % arrival)
    out += record("A", b"create_time=%d" % arrival)
    out += record("A", b"rewrite_context=local")
    out += record("S", sender.encode())
    offsets = []
    for r in rcpts:
        out += record("O", r.encode())
        offsets.append(len(out))
        out += record("R", r.encode())
    out += record("M", b"")
    data_offset = len(out)
    for line in body.split(b"\n")[:-1]:
        out += record("N", line)
    size = len(out) - data_offset
    out += record("X", b"") + record("E", b"")
    head = record("C", b"%15d %15d %15d %15d %15d %15d" %
                  (size, data_offset, len(rcpts), 0, size, 0))
    return head + out[len(head):], offsets


def read_notice(path):
    """(envelope sender, recipients, email message) of a queue file."""
    with open(path, "rb") as f:
        recs = read_records(f.read())
    sender = None
    rcpts = []
    text = b""
    in_content = False
    for rtype, data in recs:
        if rtype == "M":
            in_content = True
        elif rtype == "X":
            in_content = False
        elif in_content and rtype in "NL":
            text += data + (b"\n" if rtype == "N" else b"")
        elif rtype == "S":
            sender = data.decode()
        elif rtype == "R":
            rcpts.append(data.decode())
    msg = email.message_from_bytes(text, policy=email.policy.compat32)
    return sender, rcpts, msg


def unfold(value):
    return " ".join(value.split()) if value is not None else None


def dsn_fields(msg):
    """Top headers, per-message fields, per-recipient field dicts, part 3."""
    assert msg.get_content_type() == "multipart/report", msg.get_content_type()
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    assert len(parts) == 3, len(parts)
    human, report, original = parts
    assert human.get_content_type() == "text/plain"
    assert report.get_content_type() == "message/delivery-status"
    blocks = report.get_payload()
    per_message = {k: unfold(v) for k, v in blocks[0].items()}
    per_rcpt = [{k: unfold(v) for k, v in b.items()} for b in blocks[1:]]
    top = {k: unfold(msg[k]) for k in ("From", "Subject", "To",
                                       "Auto-Submitted", "MIME-Version")}
    return top, per_message, per_rcpt, original, human


R1 = dict(rcpt="rcpt1@example.net", orig="orig1@example.net",
          dsn_orig_rcpt="rfc822;rcpt1@example.net", notify=4, status="5.1.1",
          diag_type="smtp",
          diag_text="550 5.1.1 <rcpt1@example.net>: Recipient address "
                    "rejected: User unknown in local recipient table",
          mta_type="dns", mta_mname="mx.example.net",
          reason="host mx.example.net[192.0.2.1] said: 550 5.1.1 "
                 "<rcpt1@example.net>: Recipient address rejected: User "
                 "unknown in local recipient table (in reply to RCPT TO "
                 "command)")
R2 = dict(rcpt="rcpt2@example.net", status="5.0.0",
          reason="mail for example.net loops back to myself")

# The records Postfix 3.7's bounce wrote for R1 and R2 (observed; offsets
# filled in per test).
LOG_R1 = (b"\n<rcpt1@example.net>: " + R1["reason"].encode() + b"\n"
          b"recipient=rcpt1@example.net\n"
          b"original_recipient=orig1@example.net\n"
          b"offset=%d\n"
          b"dsn_orig_rcpt=rfc822;rcpt1@example.net\n"
          b"notify_flags=4\n"
          b"status=5.1.1\n"
          b"action=failed\n"
          b"diag_type=smtp\n"
          b"diag_text=" + R1["diag_text"].encode() + b"\n"
          b"mta_type=dns\n"
          b"mta_mname=mx.example.net\n"
          b"reason=" + R1["reason"].encode() + b"\n\n")
LOG_R2 = (b"\n<rcpt2@example.net>: mail for example.net loops back to myself\n"
          b"recipient=rcpt2@example.net\n"
          b"offset=%d\n"
          b"status=5.0.0\n"
          b"action=failed\n"
          b"reason=mail for example.net loops back to myself\n\n")


def with_offsets(offsets, *rcpts):
    out = []
    for r, off in zip(rcpts, offsets):
        r = dict(r)
        r["offset"] = off
        out.append(r)
    return out


# --- APPEND ---

def test_append_writes_exact_records():
    with BounceEnv(need_cleanup=False) as env:
        offs = env.put_message()
        r1, r2 = with_offsets(offs, R1, R2)
        assert env.append("bounce", r1) == 0
        assert env.append("bounce", r2) == 0
        assert env.read_log("bounce") == LOG_R1 % offs[0] + LOG_R2 % offs[1]
        assert os.stat(env.log_path("bounce")).st_mode & 0o777 == 0o600
        # defer/ is hashed (hash_queue_names default), trace/ is not.
        d = dict(r2, status="4.0.0", action="delayed")
        assert env.append("defer", d) == 0
        assert env.read_log("defer") == (LOG_R2 % offs[1]).replace(
            b"5.0.0", b"4.0.0").replace(b"action=failed", b"action=delayed")
        assert os.path.exists(os.path.join(env.inst.spool, "defer", QID[0],
                                           QID))
        t = dict(r2, status="2.0.0", action="delivered")
        assert env.append("trace", t) == 0
        assert os.path.exists(os.path.join(env.inst.spool, "trace", QID))


def test_append_quotes_and_compat_off():
    with BounceEnv("backwards_bounce_logfile_compatibility = no\n",
                   need_cleanup=False) as env:
        r = dict(rcpt="john doe@example.net", orig="john doe@example.net",
                 offset=7, reason="no\nsuch user")
        assert env.append("bounce", r) == 0
        assert env.read_log("bounce") == (
            b"\nrecipient=\"john doe\"@example.net\noffset=7\nstatus=5.1.1\n"
            b"action=failed\nreason=no such user\n\n")


def test_malformed_requests():
    with BounceEnv(need_cleanup=False) as env:
        # Missing attributes, an unknown command, a bad queue ID.
        assert env.request("bounce", [("nrequest", 0), ("flags", 0)]) != 0
        assert env.request("bounce", [("nrequest", 9), ("flags", 0)]) != 0
        assert env.append("bounce", dict(R2), qid="../etc") != 0
        assert env.request("bounce", [("flags", 0)]) != 0
        # A client that hangs up mid-list does not hurt the next one.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(env.inst.socket_path("bounce"))
        s.sendall(b"nrequest\0" + b"0\0queue_id\0" + b"A" * 50)
        s.close()
        assert env.append("bounce", dict(R2)) == 0
        assert not os.path.exists(os.path.join(env.inst.spool, "etc"))
        env.inst.wait_log("malformed request")


# --- notices ---

def test_flush_sends_rfc3464_notice():
    with BounceEnv() as env:
        offs = env.put_message()
        never = dict(rcpt="never@example.net", notify=1)
        for r in with_offsets(offs, R1, R2) + [never]:
            assert env.append("bounce", r) == 0
        before = env.incoming()
        assert env.notify("bounce", 1) == 0
        new = env.wait_notices(before, 1)
        assert len(new) == 1, new
        new_id, path = list(new.items())[0]
        env.inst.wait_log("%s: sender non-delivery notification: %s"
                          % (QID, new_id))
        assert not os.path.exists(env.log_path("bounce"))
        sender, rcpts, msg = read_notice(path)
        assert sender == "" and rcpts == ["sender@example.org"], (sender,
                                                                  rcpts)
        top, per_msg, per_rcpt, original, human = dsn_fields(msg)
        assert top["Subject"] == "Undelivered Mail Returned to Sender"
        assert top["To"] == "sender@example.org"
        assert top["Auto-Submitted"] == "auto-replied"
        assert "MAILER-DAEMON" in top["From"]
        assert per_msg["Reporting-MTA"] == "dns; " + HOST
        assert per_msg["X-Postfix-Queue-ID"] == QID
        assert per_msg["X-Postfix-Sender"] == "rfc822; sender@example.org"
        assert email.utils.parsedate_to_datetime(
            per_msg["Arrival-Date"]).timestamp() == 1700000000
        # NOTIFY=NEVER is left out.
        assert [r["Final-Recipient"] for r in per_rcpt] == [
            "rfc822; rcpt1@example.net", "rfc822; rcpt2@example.net"]
        assert per_rcpt[0] == {
            "Final-Recipient": "rfc822; rcpt1@example.net",
            "Original-Recipient": "rfc822;rcpt1@example.net",
            "Action": "failed", "Status": "5.1.1",
            "Remote-MTA": "dns; mx.example.net",
            "Diagnostic-Code": "smtp; " + R1["diag_text"]}, per_rcpt[0]
        assert per_rcpt[1] == {
            "Final-Recipient": "rfc822; rcpt2@example.net",
            "Action": "failed", "Status": "5.0.0",
            "Diagnostic-Code": "X-Postfix; " + R2["reason"]}, per_rcpt[1]
        text = human.get_payload()
        assert "<rcpt1@example.net> (expanded from <orig1@example.net>):" \
            in text and "never@example.net" not in text
        assert all(len(line) <= 79 for line in text.splitlines())
        # The whole original message, behind its Return-Path.
        assert original.get_content_type() == "message/rfc822"
        inner = original.get_payload()[0]
        assert inner["Return-Path"] == "<sender@example.org>"
        assert inner["Subject"] == "test message"
        assert inner.get_payload() == "hello\nworld\n"


def test_ret_hdrs_and_size_limit_attach_headers_only():
    with BounceEnv("bounce_size_limit = 100\n") as env:
        for i, (ret, body) in enumerate(((2, None),
                                          (0, BODY + b"x" * 70 + b"\n"))):
            qid = "HDR000000%d" % i
            offs = env.put_message(qid=qid, body=body)
            assert env.append("bounce", dict(R2, offset=offs[1]), qid=qid) == 0
            before = env.incoming()
            assert env.notify("bounce", 1, qid=qid, ret=ret) == 0
            path = list(env.wait_notices(before, 1).values())[0]
            _, _, msg = read_notice(path)
            original = dsn_fields(msg)[3]
            assert original.get_content_type() == "text/rfc822-headers"
            assert "Subject: test message" in original.get_payload()
            assert "hello" not in original.get_payload()


def test_double_bounce_goes_to_postmaster():
    with BounceEnv("notify_classes = 2bounce\n"
                   "2bounce_notice_recipient = pm2@example.org\n") as env:
        offs = env.put_message(sender="")
        assert env.append("bounce", dict(R2, offset=offs[1])) == 0
        before = env.incoming()
        assert env.notify("bounce", 1, sender="") == 0
        path = list(env.wait_notices(before, 1).values())[0]
        env.inst.wait_log("%s: postmaster non-delivery notification" % QID)
        sender, rcpts, msg = read_notice(path)
        assert sender == "double-bounce@" + HOST, sender
        assert rcpts == ["pm2@example.org"], rcpts
        top, per_msg, per_rcpt, original, _ = dsn_fields(msg)
        assert top["Subject"] == "Postmaster Copy: Undelivered Mail"
        assert top["Auto-Submitted"] == "auto-generated"
        assert per_msg["X-Postfix-Sender"] == "rfc822; MAILER-DAEMON@" + HOST
        assert original.get_content_type() == "message/rfc822"


def test_no_loops():
    with BounceEnv("notify_classes = bounce, 2bounce\n") as env:
        # Mail from the double-bounce address is never bounced again.
        db = "double-bounce@" + HOST
        offs = env.put_message(sender=db)
        assert env.append("bounce", dict(R2, offset=offs[1])) == 0
        before = env.incoming()
        assert env.notify("bounce", 1, sender=db) == 0
        env.inst.wait_log("warning: %s: undeliverable postmaster "
                          "notification discarded" % QID)
        assert not os.path.exists(env.log_path("bounce"))
        assert env.incoming() == before
    with BounceEnv() as env:
        # A bounce that bounced, default notify_classes: dropped.
        offs = env.put_message(sender="")
        assert env.append("bounce", dict(R2, offset=offs[1])) == 0
        before = env.incoming()
        assert env.notify("bounce", 1, sender="") == 0
        assert not os.path.exists(env.log_path("bounce"))
        assert env.incoming() == before


def test_postmaster_copy_per_notify_classes():
    with BounceEnv("notify_classes = bounce\n"
                   "bounce_notice_recipient = pm@example.org\n") as env:
        offs = env.put_message()
        for r in with_offsets(offs, R1, R2):
            assert env.append("bounce", r) == 0
        before = env.incoming()
        assert env.notify("bounce", 1) == 0
        new = env.wait_notices(before, 2)
        env.inst.wait_log("%s: postmaster non-delivery notification" % QID)
        by_rcpt = {}
        for path in new.values():
            sender, rcpts, msg = read_notice(path)
            by_rcpt[rcpts[0]] = (sender, msg)
        assert set(by_rcpt) == {"sender@example.org", "pm@example.org"}
        sender, msg = by_rcpt["pm@example.org"]
        assert sender == "double-bounce@" + HOST
        top, _, per_rcpt, original, _ = dsn_fields(msg)
        assert top["Subject"] == "Postmaster Copy: Undelivered Mail"
        assert len(per_rcpt) == 2
        assert original.get_content_type() == "text/rfc822-headers"


def test_delay_warning_keeps_log():
    with BounceEnv("delay_warning_time = 4h\nnotify_classes = delay\n"
                   "delay_notice_recipient = pmdelay@example.org\n") as env:
        offs = env.put_message(queue="deferred")
        d1 = dict(R1, offset=offs[0], status="4.1.1", action="delayed",
                  notify=8)
        d2 = dict(R2, offset=offs[1], status="4.4.1", action="delayed",
                  notify=4)  # FAILURE only: no delay notice for it
        assert env.append("defer", d1) == 0
        assert env.append("defer", d2) == 0
        before = env.incoming()
        assert env.notify("defer", 2, queue="deferred") == 0
        new = env.wait_notices(before, 2)
        env.inst.wait_log("%s: sender delay notification" % QID)
        env.inst.wait_log("%s: postmaster delay notification" % QID)
        assert os.path.exists(env.log_path("defer"))
        notices = {}
        for path in new.values():
            sender, rcpts, msg = read_notice(path)
            notices[rcpts[0]] = dsn_fields(msg)
        top, per_msg, per_rcpt, original, human = notices["sender@example.org"]
        assert top["Subject"] == "Delayed Mail (still being retried)"
        assert [r["Final-Recipient"] for r in per_rcpt] == [
            "rfc822; rcpt1@example.net"]
        assert per_rcpt[0]["Action"] == "delayed"
        assert per_rcpt[0]["Status"] == "4.1.1"
        assert email.utils.parsedate_to_datetime(
            per_rcpt[0]["Will-Retry-Until"]).timestamp() == \
            1700000000 + 5 * 86400
        assert original.get_content_type() == "text/rfc822-headers"
        assert "4 hour(s)" in human.get_payload()
        top, _, per_rcpt, _, _ = notices["pmdelay@example.org"]
        assert top["Subject"] == "Postmaster Warning: Delayed Mail"
        assert len(per_rcpt) == 2
        # An expired message: FLUSH on defer reports the delays as failed.
        before = env.incoming()
        assert env.notify("defer", 1, queue="deferred") == 0
        path = list(env.wait_notices(before, 1).values())[0]
        _, _, per_rcpt, _, _ = dsn_fields(read_notice(path)[2])
        # Only rcpt2 asked for failure notices (NOTIFY=FAILURE).
        assert [(r["Final-Recipient"], r["Action"]) for r in per_rcpt] == [
            ("rfc822; rcpt2@example.net", "failed")]
        assert not os.path.exists(env.log_path("defer"))


def test_trace_report():
    with BounceEnv() as env:
        offs = env.put_message()
        t = dict(R2, offset=offs[1], status="2.0.0", action="delivered",
                 reason="delivered to mailbox", notify=2)
        assert env.append("trace", t) == 0
        before = env.incoming()
        assert env.notify("trace", 5) == 0
        path = list(env.wait_notices(before, 1).values())[0]
        env.inst.wait_log("%s: sender delivery status notification" % QID)
        top, _, per_rcpt, original, _ = dsn_fields(read_notice(path)[2])
        assert top["Subject"] == "Successful Mail Delivery Report"
        assert per_rcpt[0]["Action"] == "delivered"
        assert original.get_content_type() == "text/rfc822-headers"
        assert not os.path.exists(env.log_path("trace"))


def test_one_recipient_notice():
    with BounceEnv() as env:
        offs = env.put_message()
        before = env.incoming()
        assert env.notify("bounce", 4, extra=rcpt_attrs(
            dict(R1, offset=offs[0]))) == 0
        path = list(env.wait_notices(before, 1).values())[0]
        _, _, per_rcpt, _, _ = dsn_fields(read_notice(path)[2])
        assert [r["Status"] for r in per_rcpt] == ["5.1.1"]


def test_cleanup_failure_keeps_log():
    with BounceEnv(need_cleanup=False) as env:
        # No cleanup service at all: the notice cannot be queued.
        offs = env.put_message()
        assert env.append("bounce", dict(R2, offset=offs[1])) == 0
        assert env.notify("bounce", 1) != 0
        assert os.path.exists(env.log_path("bounce"))


# --- mixed mode ---

def delivery_request(qid, sender, rcpts, offsets, nexthop, flags=2):
    """A qmgr -> delivery agent request (spec d.2) for an active file."""
    import base64
    import struct
    now = int(time.time())
    stats = struct.pack("=qqqqqqqqqqi", now, 0, now, 0, now, 0, 0, 0, 0, 0,
                        0) + b"\0" * 4
    out = attr_list([
        ("flags", flags), ("queue_name", "active"), ("queue_id", qid),
        ("offset", 0), ("size", 0), ("nexthop", nexthop), ("encoding", ""),
        ("smtputf8", 0), ("sender", sender), ("envelope_id", ""),
        ("ret_flags", 0), ("time", base64.b64encode(stats).decode()),
        ("log_client_name", ""), ("log_client_address", ""),
        ("log_client_port", ""), ("log_protocol_name", ""),
        ("log_helo_name", ""), ("sasl_method", ""), ("sasl_username", ""),
        ("sasl_sender", ""), ("log_ident", qid),
        ("rewrite_context", "local"), ("recipient_count", len(rcpts))])
    for r, off in zip(rcpts, offsets):
        out += attr_list([("original_recipient", r), ("recipient", r),
                          ("offset", off), ("dsn_orig_rcpt", ""),
                          ("notify_flags", 0)])
    return out


def test_mixed_postfix_error_agent_appends_through_our_bounce():
    with BounceEnv(need_cleanup=False, postfix_agents=("error",)) as env:
        rcpts = ("a@example.net", "b@example.net")
        offs = env.put_message(rcpts=rcpts)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(env.inst.socket_path("error"))
        reader = AttrReader(s, timeout=30)
        assert reader.read_list() == {"protocol": "delivery_request_protocol"}
        s.sendall(delivery_request(QID, "sender@example.org", rcpts, offs,
                                   "5.7.1 go away"))
        reply = reader.read_list()
        s.close()
        # Both recipients were logged, so the agent reports success.
        assert reply["status"] == "0", reply
        assert env.read_log("bounce") == b"".join(
            b"\n<%s>: go away\nrecipient=%s\noffset=%d\nstatus=5.7.1\n"
            b"action=failed\nreason=go away\n\n" % (r.encode(), r.encode(),
                                                    off)
            for r, off in zip(rcpts, offs))
        # ... and marked them done in the queue file (R -> D).
        recs = read_records(open(os.path.join(env.inst.spool, "active", QID),
                                 "rb").read())
        assert [t for t, _ in recs if t in "RD"] == ["D", "D"]

def test_mixed_postfix_bounce_same_log_and_fields():
    if not have_postfix():
        raise Skip("needs root and Debian's postfix package")
    with BounceEnv("notify_classes = bounce\n", postfix_bounce=True) as env:
        # Postfix's bounce keeps its logs in the directory named after its
        # service (observed): pfbounce/.
        os.makedirs(os.path.join(env.inst.spool, "pfbounce"))
        os.chown(os.path.join(env.inst.spool, "pfbounce"),
                 env.owner.pw_uid, env.owner.pw_gid)
        offs = env.put_message(body=BODY)
        rcpts = with_offsets(offs, R1, R2) + [dict(
            rcpt="john doe@example.net", orig="orig3@example.net", offset=9,
            status="5.7.1", reason="x" * 90 + " policy")]
        # The same APPENDs to both write the same bytes.
        for r in rcpts:
            assert env.request("pfbounce", [("nrequest", 0), ("flags", 0),
                                            ("queue_id", QID)] +
                               rcpt_attrs(r)) == 0
        theirs = env.read_log("pfbounce")
        for r in rcpts:
            assert env.append("bounce", r) == 0
        ours = env.read_log("bounce")
        assert ours == theirs, (ours, theirs)
        # Each composes notices from the same log and queue file.
        notices = {}
        for service in ("pfbounce", "bounce"):
            env.put_file(service, QID, ours, mode=0o600)
            before = env.incoming()
            assert env.notify(service, 1, envid="ENV-42") == 0
            new = env.wait_notices(before, 2)
            for path in new.values():
                sender, to, msg = read_notice(path)
                # cleanup may have qualified "postmaster".
                notices[(service, to[0].split("@")[0])] = (sender,
                                                           dsn_fields(msg))
        for to in ("sender", "postmaster"):
            s1, f1 = notices[("pfbounce", to)]
            s2, f2 = notices[("bounce", to)]
            assert s1 == s2, (to, s1, s2)
            top1, msg1, rcpt1, orig1, _ = f1
            top2, msg2, rcpt2, orig2, _ = f2
            for k in ("Subject", "To", "Auto-Submitted", "MIME-Version"):
                assert top1[k] == top2[k], (to, k, top1[k], top2[k])
            d1 = email.utils.parsedate_to_datetime(msg1.pop("Arrival-Date"))
            d2 = email.utils.parsedate_to_datetime(msg2.pop("Arrival-Date"))
            assert d1 == d2
            assert msg1 == msg2, (to, msg1, msg2)
            assert rcpt1 == rcpt2, (to, rcpt1, rcpt2)
            assert orig1.get_content_type() == orig2.get_content_type()
            assert orig1["Content-Description"] == orig2["Content-Description"]


if __name__ == "__main__":
    run_tests(globals())
