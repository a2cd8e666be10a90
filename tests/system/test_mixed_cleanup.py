#!/usr/bin/env python3
"""test_mixed_cleanup - our cleanup between Debian Postfix 3.7's programs.

Under our master, in one postfix-style instance (mail_owner postfix):
  * Postfix's qmqpd hands a QMQP message to our cleanup; Postfix's
    postcat prints the queue file we wrote;
  * Postfix's sendmail and postdrop put messages into maildrop/, and
    Postfix's pickup hands them to our cleanup: a plain one and a
    "sendmail -t" one (recipients from the headers, a Bcc: to hide);
  * the same record streams go to Postfix's own cleanup (service
    pfcleanup, with Postfix's trivial-rewrite) and to ours, and the two
    queue files must hold the same records, apart from what differs by
    design (queue IDs, creation times, the dummy pointer records we
    always write and Postfix writes only when a milter may edit, and the
    size record's counts, which include those pointers).
Needs root and Debian's postfix package (test.sh installs it); skipped
otherwise, with a line saying so.
"""
import os
import pwd
import re
import socket
import stat
import subprocess

from harness import Instance, Skip, program, run_tests, wait_for
import formats
import test_mixed as tm

R = formats.record
PF_SBIN = tm.PF_SBIN
UNAVAILABLE = tm.UNAVAILABLE
if UNAVAILABLE is None:
    for name in ("qmqpd", "pickup", "cleanup", "trivial-rewrite"):
        if not os.path.exists(os.path.join(PF_SBIN, name)):
            UNAVAILABLE = "Postfix's %s is not installed" % name
    for path in ("/usr/sbin/postcat", "/usr/sbin/sendmail",
                 "/usr/sbin/postdrop"):
        if not os.path.exists(path):
            UNAVAILABLE = "%s is not installed" % path


class Mixed:
    """Our master, our cleanup, and Postfix's daemons around it."""

    def __init__(self):
        if UNAVAILABLE:
            raise Skip(UNAVAILABLE)
        self.port = tm.free_port()
        self.inst = Instance("", programs=("cleanup",))
        inst = self.inst
        os.makedirs(os.path.join(inst.dir, "data"))
        for name in ("qmqpd", "pickup", "trivial-rewrite"):
            os.symlink(os.path.join(PF_SBIN, name),
                       os.path.join(inst.libexec, name))
        # Postfix's cleanup under another name: "cleanup" is ours.
        os.symlink(os.path.join(PF_SBIN, "cleanup"),
                   os.path.join(inst.libexec, "pfcleanup"))
        tm.make_world_readable(inst)
        tm.postfix_main_cf(inst, "maillog_file = %s\n"
                           "qmqpd_authorized_clients = 127.0.0.1\n"
                           "qmqpd_error_delay = 0\n" % inst.maillog)
        # Postfix's daemons would log through postlogd: keep them on
        # syslog. Ours, running as postfix, write the instance's log.
        inst.write_master_cf(
            "127.0.0.1:%d inet n - n - - qmqpd -o maillog_file=\n"
            "pickup unix n - n 60 1 pickup -o maillog_file=\n"
            "cleanup unix n - n - 0 cleanup\n"
            "pfcleanup unix n - n - 0 pfcleanup -o maillog_file=\n"
            "rewrite unix - - n - - trivial-rewrite -o maillog_file=\n"
            % self.port)
        for f in ("main.cf", "master.cf"):
            os.chmod(os.path.join(inst.etc, f), 0o644)
        subprocess.run([program("postern"), "-c", inst.etc, "check"],
                       check=True, capture_output=True)
        pf = pwd.getpwnam("postfix")
        with open(inst.maillog, "a"):
            pass
        os.chown(inst.maillog, pf.pw_uid, pf.pw_gid)

    def start(self):
        self.inst.start()
        return self

    def incoming(self):
        d = os.path.join(self.inst.spool, "incoming")
        out = []
        for name in os.listdir(d):
            try:
                mode = stat.S_IMODE(os.stat(os.path.join(d, name)).st_mode)
            except FileNotFoundError:
                continue
            if mode & 0o700 == 0o700:
                out.append(name)
        return sorted(out)

    def path(self, qid):
        return os.path.join(self.inst.spool, "incoming", qid)

    def postcat(self, qid):
        res = subprocess.run(["/usr/sbin/postcat", "-c", self.inst.etc,
                              "-q", qid], capture_output=True, text=True,
                             timeout=30)
        assert res.returncode == 0, res.stderr
        return res.stdout

    def submit(self, service, records, flags):
        s = formats.connect_unix(self.inst.socket_path(service,
                                                       private=False))
        try:
            reader = formats.AttrReader(s, timeout=30)
            qid = reader.read_list()["queue_id"]
            s.sendall(formats.attr_list([("flags", flags)]))
            s.sendall(b"".join(records))
            status = int(reader.read_list()["status"])
        finally:
            s.close()
        return qid, status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.inst.cleanup()


def ours(m, qid):
    """Our cleanup wrote qid: it logged the message-id line."""
    return ("postern/cleanup" in m.inst.log() and
            "%s: message-id=" % qid in m.inst.log())


def test_postfix_qmqpd_to_our_cleanup():
    with Mixed() as m:
        m.start()
        reply = tm.qmqp_send(m.port, b"Subject: via qmqp\n\nhello QMQP\n",
                             b"sender@example.org",
                             [b"one@example.net", b"two@example.net"])
        mm = re.match(rb"^(\d+):K(Ok: queued as ([0-9A-Za-z]+)),$", reply)
        assert mm, reply
        qid = mm.group(3).decode()
        assert m.incoming() == [qid]
        wait_for(lambda: ours(m, qid), what="our cleanup's log line")
        recs = formats.queue_file(m.path(qid))
        types = "".join(t for t, p in recs)
        # Postfix's qmqpd writes T, client attributes, R..., M, its
        # Received:, the message, X, E; ours fills in the rest.
        assert re.match(r"^CTAS(A)+(AOR){2}MN+XE$", types), types
        attrs = [p for t, p in recs if t == "A"]
        assert b"log_protocol_name=QMQP" in attrs, attrs
        out = m.postcat(qid)
        for want in ("sender: sender@example.org",
                     "recipient: one@example.net",
                     "recipient: two@example.net",
                     "Received: from localhost (localhost [127.0.0.1])",
                     "Subject: via qmqp", "hello QMQP"):
            assert want in out, (want, out)
        # Postfix's qmqpd sends no rewrite_context: the local default, so
        # the missing headers are added, as Postfix's cleanup adds them.
        mid = re.search(r"Message-Id: (<\d{14}\.%s@mixed.example>)" % qid,
                        out)
        assert mid and "From: sender@example.org" in out, out
        wait_for(lambda: "%s: message-id=%s" % (qid, mid.group(1)) in
                 m.inst.log(), what="the message-id line")


def sendmail(m, args, text):
    """Postfix's sendmail and postdrop, with the instance's main.cf minus
    maillog_file (they would want a postlogd for it)."""
    etc = os.path.join(m.inst.dir, "etc-sendmail")
    if not os.path.isdir(etc):
        os.makedirs(etc)
        with open(os.path.join(m.inst.etc, "main.cf")) as f:
            text_cf = "".join(line for line in f
                              if not line.startswith("maillog_file"))
        with open(os.path.join(etc, "main.cf"), "w") as f:
            f.write(text_cf)
    env = dict(os.environ, MAIL_CONFIG=etc)
    res = subprocess.run(["/usr/sbin/sendmail"] + args, input=text, env=env,
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr


def test_postfix_pickup_to_our_cleanup():
    with Mixed() as m:
        m.start()
        sendmail(m, ["-f", "sender@example.org", "-F", "Sender Name",
                     "rcpt@example.net"],
                 b"Subject: via pickup\n\nhello pickup\n")
        wait_for(lambda: len(m.incoming()) == 1, timeout=60,
                 what="pickup to hand the message to our cleanup")
        qid = m.incoming()[0]
        wait_for(lambda: ours(m, qid), what="our cleanup's log line")
        out = m.postcat(qid)
        for want in ("sender: sender@example.org",
                     "sender_fullname: Sender Name",
                     "recipient: rcpt@example.net",
                     "Received: by mixed.example (Postfix, from userid 0)",
                     "Subject: via pickup",
                     "Message-Id: <",
                     "From: Sender Name <sender@example.org>",
                     "hello pickup"):
            assert want in out, (want, out)

        # sendmail -t: Postfix's sendmail extracts the recipients itself
        # (after X); our cleanup removes the Bcc: header.
        sendmail(m, ["-t", "-f", "sender@example.org"],
                 b"To: a@example.net\nBcc: hidden@example.net\n"
                 b"Subject: extracted\n\nhello -t\n")
        wait_for(lambda: len(m.incoming()) == 2, timeout=60,
                 what="the second message")
        qid2 = [q for q in m.incoming() if q != qid][0]
        recs = formats.queue_file(m.path(qid2))
        x = [t for t, p in recs].index("X")
        assert [p for t, p in recs[x:] if t == "R"] == \
            [b"a@example.net", b"hidden@example.net"], recs[x:]
        out = m.postcat(qid2)
        assert "Bcc:" not in out and "hidden@example.net" in out, out
        assert "To: a@example.net" in out, out


# Record streams both cleanups get; each starts with a client's
# Received: header, which Postfix's cleanup insists on.
TRACE = [R("N", "Received: by client.example (Postfix, from userid 0)"),
         R("N", "\tid X; Mon, 1 Jan 2024 00:00:00 +0000")]


def stream(context, env, headers, body, extracted=()):
    recs = [R("T", "1700000000 5")]
    if context:
        recs.append(R("A", "rewrite_context=" + context))
    recs += env + [R("M")] + TRACE + [R("N", h) for h in headers]
    recs += [R("N", b) for b in body] + [R("X")] + list(extracted)
    return recs + [R("E")]


SAME_CASES = [
    ("local, headers added", 115,
     stream("local", [R("F", "Full Name"), R("S", "sender"),
                      R("R", "rcpt@example.com")],
            ["Subject: hi"], ["", "body"])),
    ("remote, null sender, Bcc and Return-Path", 114,
     stream("remote", [R("S", ""), R("R", "rcpt@example.com")],
            ["Return-Path: <x@y>", "Bcc: b@x", "To: a@example.com"],
            ["", "body"])),
    ("resent headers", 114,
     stream("local", [R("S", "s@example.org"), R("R", "r@example.com")],
            ["Message-ID: <abc@def>", "Resent-To: q@x"], ["", "b"])),
    ("DSN attributes and a duplicate", 114,
     stream("local", [R("S", "s@example.org"), R("A", "envelope_id=ENV"),
                      R("A", "ret_flags=1"),
                      R("A", "dsn_orig_rcpt=rfc822;o@example.com"),
                      R("A", "notify_flags=6"), R("O", "o@example.com"),
                      R("R", "r@example.com"), R("R", "r2@example.com"),
                      R("R", "r2@example.com")], [], ["", "b"])),
    ("extracted recipients", 115,
     stream("local", [R("S", "s@example.org")], ["To: a@x.example",
                                                 "Bcc: d@w.example"],
            ["", "b"], [R("R", "a@x.example"), R("R", "d@w.example")])),
    ("folded and long lines", 114,
     stream("local", [R("S", "s@example.org"), R("R", "r@example.com")],
            ["Subject: one", "  two", "X-Long: " + "a" * 3000],
            ["", "b" * 5000, "c"])),
    ("body without the empty line", 114,
     stream("local", [R("S", "s@example.org"), R("R", "r@example.com")],
            ["Subject: s", "not a header", "X-After: y"], ["", "b"])),
    ("headers only", 114,
     stream("local", [R("S", "s@example.org"), R("R", "r@example.com")],
            ["Subject: s"], [])),
    ("client attributes after a recipient", 114,
     stream(None, [R("S", "a@b.example"), R("A", "log_client_name=c"),
                   R("R", "a@b.example"), R("A", "client_address=1.2.3.4")],
            [], [""])),
    ("header addresses qualified", 114,
     stream("local", [R("S", "s@example.org"), R("R", "r@example.com")],
            ["Cc: c@x.example"], ["", "b"])),
]


def normalized(path, qid):
    """The records minus what differs by design."""
    out = []
    for rtype, payload in formats.read_records(open(path, "rb").read(),
                                               follow_pointers=False):
        if rtype in "Cp":
            continue
        if payload.startswith(b"create_time="):
            payload = b"create_time=*"
        payload = payload.replace(qid.encode(), b"QID")
        payload = re.sub(rb"<\d{14}\.QID@", b"<STAMP.QID@", payload)
        out.append((rtype, payload))
    return out


def test_same_records_as_postfix_cleanup():
    with Mixed() as m:
        m.start()
        for name, flags, recs in SAME_CASES:
            pf_qid, pf_status = m.submit("pfcleanup", recs, flags)
            our_qid, our_status = m.submit("cleanup", recs, flags)
            assert pf_status == our_status == 0, (name, pf_status, our_status)
            pf = normalized(m.path(pf_qid), pf_qid)
            our = normalized(m.path(our_qid), our_qid)
            assert pf == our, (name, pf, our)
            os.unlink(m.path(pf_qid))
            os.unlink(m.path(our_qid))


def test_same_verdicts_as_postfix_cleanup():
    env = [R("S", "s@example.org"), R("R", "r@example.com")]
    cases = [
        ("pointer record", stream("local", env + [R("p", "%15d" % 0)], [],
                                  [""])),
        ("no sender", stream("local", [R("R", "r@x")], [], [""])),
        ("two senders", stream("local", env + [R("S", "t@x")], [], [""])),
        ("no recipients", stream("local", [R("S", "s@x")], [], [""])),
        ("content record in the envelope",
         stream("local", env + [R("N", "x")], [], [""])),
        ("too many hops", stream("local", env,
                                 ["Received: from h%d" % i
                                  for i in range(50)], [""])),
        ("attribute without =", stream("local", env + [R("A", "junk")], [],
                                       [""])),
    ]
    with Mixed() as m:
        m.start()
        for name, recs in cases:
            # Flags without BOUNCE: Postfix's cleanup would try to bounce.
            _, pf_status = m.submit("pfcleanup", recs, 114)
            _, our_status = m.submit("cleanup", recs, 114)
            assert pf_status == our_status != 0, (name, pf_status,
                                                  our_status)
        assert m.incoming() == [], m.incoming()


if __name__ == "__main__":
    run_tests(globals())
