"""qmgr_helpers - a world for queue manager system tests (qmgr, oqmgr).

QmgrEnv(program) starts a real master with our cleanup, trivial-rewrite,
bounce (as bounce, defer, trace), discard and error (as error and retry)
and the queue manager under test as the "qmgr" service (master.cf
`qmgr unix n - n 300 1 <program>`). Mail is routed by transport_maps:

    discard.example   -> discard:      (delivered: status=sent)
    error.example     -> error:5.1.1 no such user   (bounced)
    retry.example     -> retry:4.4.1 try again later (deferred)
    anything else     -> default_transport = discard
    local domain      -> local_transport = discard

Helpers submit messages through public/cleanup (the cleanup protocol,
spec d.3), write queue files straight into a queue directory (spec b.3
layout, for corrupt files and leftovers), send triggers to public/qmgr,
find a queue ID in the queues, and read the log.

Typical use:

    with QmgrEnv("oqmgr") as env:
        qid = env.submit(["a@discard.example"])
        env.wait_log("%s: removed" % qid)
"""
import glob
import os
import socket
import time

import formats
from formats import record
from harness import Instance, Skip, program, wait_for
import harness

QUEUES = ("incoming", "active", "deferred", "hold", "corrupt")

SERVICES = (
    "cleanup unix n - n - 0 cleanup\n"
    "rewrite unix - - n - - trivial-rewrite\n"
    "bounce unix - - n - 0 bounce\n"
    "defer unix - - n - 0 bounce\n"
    "trace unix - - n - 0 bounce\n"
    "discard unix - - n - - discard\n"
    "error unix - - n - - error\n"
    "retry unix - - n - - error\n")

TRANSPORTS = ("transport_maps = inline:{ discard.example=discard:, "
              "{ error.example = error:5.1.1 no such user }, "
              "{ retry.example = retry:4.4.1 try again later } }\n")

HOST = "qmgr.example"

# A Received: header: Postfix's cleanup rejects mail without one
# ("message rejected: no Received: header", observed with flags 0).
BODY = (b"Received: by client.example (Postern test); "
        b"Mon, 1 Jan 2024 00:00:00 +0000\n",
        b"Subject: queue manager test\n", b"From: s@example.org\n",
        b"Message-Id: <q1@example.org>\n")


PF_SBIN = "/usr/lib/postfix/sbin"
PF_DAEMONS = ("cleanup", "trivial-rewrite", "bounce", "discard", "error")


def postfix_unavailable():
    """Why mixed mode cannot run here, or None."""
    import pwd
    if os.getuid() != 0:
        return "mixed mode needs root"
    if not all(os.path.exists(os.path.join(PF_SBIN, d)) for d in PF_DAEMONS):
        return "Debian's postfix package is not installed"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "no postfix account"
    return None


def needed_programs(qmgr):
    return ("cleanup", "trivial-rewrite", "bounce", "discard", "error", qmgr)


class QmgrEnv:
    """A running instance with a queue manager; a context manager."""

    def __init__(self, qmgr="oqmgr", main_cf="", start=True,
                 qmgr_args="", postfix=False, pf_agents=()):
        """postfix=True: Debian Postfix 3.7's cleanup, trivial-rewrite,
        bounce, discard and error around our queue manager (mixed mode;
        needs root; their log lines go to syslog, not to the maillog).
        pf_agents: more Postfix delivery agents to run under their own
        names (e.g. ("smtp",))."""
        progs = (qmgr,) if postfix else needed_programs(qmgr)
        for p in progs:
            if p not in harness.PROGRAMS or not os.path.exists(program(p)):
                raise Skip("%s is not built" % p)
        if postfix:
            why = postfix_unavailable()
            if why:
                raise Skip(why)
        self.qmgr = qmgr
        self.postfix = postfix
        self.inst = Instance("", programs=progs)
        base = ("myhostname = %s\nmydomain = example\nin_flow_delay = 0s\n"
                "default_transport = discard\nlocal_transport = discard\n"
                % HOST + TRANSPORTS + main_cf +
                # Debugging aid: e.g. import_environment with ASAN_OPTIONS.
                os.environ.get("QMGR_TEST_MAIN_CF", "").replace("\\n",
                                                                "\n"))
        services = SERVICES
        if postfix:
            import test_mixed
            os.makedirs(os.path.join(self.inst.dir, "data"))
            for name in PF_DAEMONS + tuple(pf_agents):
                os.symlink(os.path.join(PF_SBIN, name),
                           os.path.join(self.inst.libexec, name))
            test_mixed.make_world_readable(self.inst)
            test_mixed.postfix_main_cf(
                self.inst, "maillog_file = %s\n" % self.inst.maillog + base)
            services = "".join(line + " -o maillog_file=\n"
                               for line in SERVICES.splitlines())
            services += "".join("%s unix - - n - - %s -o maillog_file=\n"
                                % (a, a) for a in pf_agents)
        else:
            self.inst.write_main_cf(base)
        self.inst.write_master_cf(
            services + "qmgr unix n - n 300 1 %s%s\n" % (qmgr, qmgr_args))
        import subprocess
        subprocess.run([program("postern"), "-c", self.inst.etc, "check"],
                       check=True, capture_output=True)
        with open(self.inst.maillog, "a"):
            pass
        if postfix:
            import pwd
            pw = pwd.getpwnam("postfix")
            os.chown(self.inst.maillog, pw.pw_uid, pw.pw_gid)
        if start:
            self.start()

    def start(self):
        """Start master and wait for public/qmgr. master's first wakeup
        starts the queue manager; the extra W makes sure it has looked at
        its queues before the test goes on."""
        self.inst.start()
        wait_for(lambda: os.path.exists(
            self.inst.socket_path("qmgr", private=False)),
            what="public/qmgr")
        self.trigger(b"W")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.inst.cleanup()

    # --- log ---

    def log(self):
        return self.inst.log()

    def mark(self):
        return len(self.inst.log())

    def wait_log(self, text, since=0, timeout=15):
        self.inst.wait_log(text, since=since, timeout=timeout)

    def log_lines(self, text, since=0):
        return [line for line in self.log()[since:].splitlines()
                if text in line]

    # --- queues ---

    def path(self, queue, qid):
        """Where qid is (or would be) in queue (hashed for deferred)."""
        d = os.path.join(self.inst.spool, queue)
        if queue in ("deferred", "defer"):
            d = os.path.join(d, qid[0])
        return os.path.join(d, qid)

    def where(self, qid):
        """The queue that holds qid, or None. A file renamed between two
        queues while one pass looks (deferred/ -> active/, say) can slip
        past it; it cannot slip past a second pass in the other order, so
        None means "in no queue" only when both passes agree."""
        for order in (QUEUES, tuple(reversed(QUEUES))):
            for q in order:
                hits = glob.glob(os.path.join(self.inst.spool, q, "**", qid),
                                 recursive=True)
                if hits:
                    return q
        return None

    def files(self, queue):
        return sorted(os.path.basename(p) for p in glob.glob(
            os.path.join(self.inst.spool, queue, "**"), recursive=True)
            if os.path.isfile(p))

    def wait_where(self, qid, queue, timeout=15):
        wait_for(lambda: self.where(qid) == queue, timeout=timeout,
                 what="%s in %s (now in %s)" % (qid, queue, self.where(qid)))

    def wait_gone(self, qid, timeout=15):
        wait_for(lambda: self.where(qid) is None, timeout=timeout,
                 what="%s to leave the queue" % qid)

    def put_file(self, queue, qid, data, mode=0o700, mtime=None):
        path = self.path(queue, qid)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
        if self.postfix:
            import pwd
            pw = pwd.getpwnam("postfix")
            for p in (os.path.dirname(path), tmp):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        os.rename(tmp, path)
        return path

    # --- submitting ---

    def submit(self, rcpts, sender="sender@example.org", body=BODY,
               extra_env=()):
        """Send one message through public/cleanup; return its queue ID."""
        s = formats.connect_unix(self.inst.socket_path("cleanup",
                                                       private=False))
        try:
            raw = b""
            while not raw.endswith(b"\0\0"):
                data = s.recv(1)
                if not data:
                    raise EOFError("no announcement from cleanup")
                raw += data
            fields = raw[:-2].split(b"\0")
            qid = fields[3].decode()
            s.sendall(formats.attr_list([("flags", 0)]))
            recs = [record("T", "%d 0" % int(time.time())),
                    record("A", "rewrite_context=local")]
            recs += list(extra_env)
            recs.append(record("S", sender))
            recs += [record("R", r) for r in rcpts]
            recs.append(record("M"))
            recs += [record("N", h.rstrip(b"\n")) for h in body]
            recs += [record("N", ""), record("N", "hello"), record("X"),
                     record("E")]
            s.sendall(b"".join(recs))
            reply = formats.AttrReader(s).read_list()
        finally:
            s.close()
        assert int(reply["status"]) == 0, reply
        return qid

    def trigger(self, data):
        """Send trigger bytes to public/qmgr."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(self.inst.socket_path("qmgr", private=False))
        s.sendall(data if isinstance(data, bytes) else data.encode())
        s.close()


def queue_file(sender="sender@example.org",
               rcpts=("rcpt@discard.example",), arrival=None, body=None,
               corrupt=None):
    """A complete queue file (spec b.3) as bytes. corrupt: None, or one of
    "no-end", "bad-size", "no-sender", "bad-type" to break it."""
    arrival = int(time.time()) if arrival is None else arrival
    body = [b"Subject: x", b"", b"hello"] if body is None else body
    env = record("T", b"%d 0" % arrival)
    env += record("A", b"create_time=%d" % arrival)
    env += record("A", b"rewrite_context=local")
    if corrupt != "no-sender":
        env += record("S", sender.encode())
    for r in rcpts:
        env += record("R", r.encode())
    if corrupt == "bad-type":
        env += record("Z", b"junk")
    env += record("M")
    size_len = len(record("C", b"x" * 95))
    data_offset = size_len + len(env)
    content = b"".join(record("N", line) for line in body)
    tail = record("X") + (b"" if corrupt == "no-end" else record("E"))
    fields = (len(content), data_offset, len(rcpts), 0, len(content), 0)
    if corrupt == "bad-size":
        fields = (0, 0, 0, 0, 0, 0)
    size = record("C", b" ".join(b"%15d" % f for f in fields))
    assert len(size) == size_len
    return size + env + content + tail
