#!/usr/bin/env python3
"""test_qmgr_behaviour - scheduling behaviour of both queue managers with
a delivery agent that fails on demand.

Every test runs twice, against qmgr and against oqmgr (test_X_qmgr,
test_X_oqmgr; QMGR_PROGRAM=qmgr or =oqmgr runs one of them only). The
world is qmgr_helpers.QmgrEnv plus tests/system/testagent as the
master.cf service "test" (`test unix - - n - - testagent FILE`) and
default_transport = test, so mail for any non-local domain goes to it
with the domain as next hop. The agent picks what to do from the
recipient's local part (ok-, defer-, bounce-, hop-, crash-, garbage-,
slow<N>-) and appends "pid start_ms end_ms queue_id nexthop rcpt..." to
FILE for every request; the tests read that file for concurrency
(overlapping intervals), order and spacing.

Checked:

  * a crashed agent (no reply) and a malformed reply: the recipient is
    deferred dsn=4.3.0 "unknown mail transport error", the message is
    in deferred/, with the "transport test failure" warning;
  * concurrency: 10 slow messages to one destination with
    test_destination_concurrency_limit = 3 and an initial concurrency
    of 1: never more than 3 deliveries overlap, and more than 1 do
    (slow start grows the window);
  * test_initial_destination_concurrency = 2: exactly 2 deliveries
    start before the first one ends, later more overlap;
  * a hop status failure with an initial concurrency of 1: the
    destination is dead, later mail for it is deferred "delivery
    temporarily suspended: ..." without reaching the agent, other
    destinations are not affected; an F trigger revives it;
  * test_destination_rate_delay = 1s and test_transport_rate_delay = 1s:
    deliveries (to one destination, to the transport) start at least
    about a second apart and never overlap;
  * fairness: a backlog of 40 deferred messages made due by an A+D
    trigger, with qmgr_message_active_limit = 5 and one agent process,
    does not keep a new message waiting for more than a few deliveries
    (order in the agent's file, not wall time). With room for the whole
    backlog in core, qmgr delivers the new one-recipient message after
    all 40 one-recipient jobs (they are too small to be preempted, as
    with Postfix's qmgr); the fairness is in the admission;
  * leaky bucket: qmgr_message_active_limit = 3 with 10 messages: never
    more than 3 files in active/ (polled) and never more than 3
    messages in delivery at once;
  * deferral and retry with minimal_backoff_time = 2s,
    maximal_backoff_time = 4s, queue_run_delay = 1s: the file's mtime
    is set 2 to 4 seconds (whole seconds) after each attempt, moves
    forward with every attempt, and the message is tried again once due
    (a scan takes a file whose mtime is at most now + 1, as Postfix);
  * a bounce- recipient: status=bounced, dsn=5.1.1 and a non-delivery
    notice;
  * maximal_queue_lifetime = 0: a deferred recipient expires at once
    ("status=expired, returned to sender") with a non-delivery notice;
  * restart: master stopped while a delivery runs leaves the file in
    active/; after a restart it is delivered (once);
  * triggers: I and W scan incoming/, D scans deferred/ for due files
    only, A alone starts no scan but makes the next D ignore time
    stamps (Postfix 3.7's qmgr does the same: observed under our
    master), F alone is harmless, and the collapsed buffer "DDDIIA"
    scans both queues with time stamps ignored.

Lower bounds on spacing are behaviour (rate delays, backoff); no test
asserts an upper bound on elapsed time.
"""
import os
import time

from harness import Skip, program, run_tests, wait_for
import harness
from qmgr_helpers import QmgrEnv, queue_file

PROGRAMS = ("qmgr", "oqmgr")


class Delivery:
    def __init__(self, line):
        f = line.split()
        self.pid = int(f[0])
        self.start = int(f[1])
        self.end = int(f[2])
        self.qid = f[3]
        self.nexthop = f[4]
        self.rcpts = f[5:]

    def __repr__(self):
        return "<%s %d-%d %s %s>" % (self.qid, self.start, self.end,
                                     self.nexthop, " ".join(self.rcpts))


class AgentEnv(QmgrEnv):
    """QmgrEnv with testagent as the "test" transport and the default
    transport."""

    def __init__(self, qmgr, main_cf="", start=True, maxproc="-"):
        if "testagent" not in harness.PROGRAMS or \
                not os.path.exists(program("testagent")):
            raise Skip("testagent is not built")
        super().__init__(qmgr, main_cf="default_transport = test\n" + main_cf,
                         start=False)
        self.agent_file = os.path.join(self.inst.dir, "agent.log")
        os.symlink(program("testagent"),
                   os.path.join(self.inst.libexec, "testagent"))
        with open(os.path.join(self.inst.etc, "master.cf"), "a") as f:
            f.write("test unix - - n - %s testagent %s\n"
                    % (maxproc, self.agent_file))
        if start:
            self.start()

    def trigger(self, data):
        try:
            super().trigger(data)
        except ConnectionRefusedError:
            raise AssertionError("trigger %r refused; log:\n%s"
                                 % (data, self.log()))

    def deliveries(self):
        """The agent's requests so far, in the order they were logged."""
        try:
            with open(self.agent_file) as f:
                text = f.read()
        except FileNotFoundError:
            return []
        # Only complete lines.
        return [Delivery(line) for line in text.split("\n")[:-1] if line]

    def delivered(self, qid):
        return [d for d in self.deliveries() if d.qid == qid]

    def wait_deliveries(self, count, qid=None, timeout=30):
        def enough():
            ds = self.deliveries()
            if qid is not None:
                ds = [d for d in ds if d.qid == qid]
            return len(ds) >= count
        wait_for(enough, timeout=timeout,
                 what="%d deliveries%s (have %r)" % (
                     count, " of " + qid if qid else "", self.deliveries()))
        return self.deliveries()

    def wait_removed(self, qid, timeout=15):
        """Wait for "QID: removed" (where() can miss a file while it is
        renamed from one queue to another)."""
        self.wait_log("%s: removed" % qid, timeout=timeout)

    def put_incoming(self, qid, rcpts, **kw):
        return self.put_file("incoming", qid, queue_file(rcpts=rcpts), **kw)

    def put_deferred(self, qid, rcpts, mtime):
        return self.put_file("deferred", qid, queue_file(rcpts=rcpts),
                             mtime=mtime)


def max_overlap(deliveries):
    """Most agent requests in progress at one time: for each start, the
    requests that began no later and had not ended by then (one that
    ends at the very millisecond another starts does not overlap it)."""
    most = 0
    for d in deliveries:
        n = len([e for e in deliveries
                 if e is d or (e.start <= d.start < e.end)])
        most = max(most, n)
    return most


def qids(prefix, n):
    """n queue IDs (hex digits: what the queue ID check accepts)."""
    return ["%s%08X" % (prefix, i) for i in range(n)]


def stays_undelivered(env, qid, seconds=0.7):
    """True if the agent did not get qid within seconds (a negative check:
    nothing else in the world would deliver it)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if env.delivered(qid):
            return False
        time.sleep(0.05)
    return True


# ------------------------------------------------------------------ tests


def check_agent_failure(qmgr, kind):
    with AgentEnv(qmgr) as env:
        rcpt = "%s-1@d.example" % kind
        qid = env.submit([rcpt])
        env.wait_log("%s: to=<%s>" % (qid, rcpt))
        line = env.log_lines("%s: to=<%s>" % (qid, rcpt))[0]
        assert "dsn=4.3.0" in line, line
        assert "status=deferred (unknown mail transport error)" in line, line
        env.wait_where(qid, "deferred")
        assert env.log_lines("transport test failure"), env.log()
        # The agent did get the request.
        assert len(env.delivered(qid)) == 1, env.deliveries()


def crash_reply(qmgr):
    check_agent_failure(qmgr, "crash")


def garbage_reply(qmgr):
    check_agent_failure(qmgr, "garbage")


def concurrency_limit_and_slow_start(qmgr):
    with AgentEnv(qmgr, "test_destination_concurrency_limit = 3\n"
                  "test_initial_destination_concurrency = 1\n",
                  start=False) as env:
        ids = qids("A", 10)
        for i, qid in enumerate(ids):
            env.put_incoming(qid, ["slow4-%d@one.example" % i])
        env.start()
        for qid in ids:
            env.wait_removed(qid, timeout=30)
        ds = env.wait_deliveries(10)
        assert len(ds) == 10, ds
        most = max_overlap(ds)
        assert most <= 3, (most, ds)
        assert most > 1, ("window never grew", ds)


def initial_destination_concurrency(qmgr):
    with AgentEnv(qmgr, "test_destination_concurrency_limit = 10\n"
                  "test_initial_destination_concurrency = 2\n",
                  start=False) as env:
        ids = qids("B", 8)
        for i, qid in enumerate(ids):
            env.put_incoming(qid, ["slow8-%d@two.example" % i])
        env.start()
        ds = env.wait_deliveries(8)
        first_end = min(d.end for d in ds)
        early = [d for d in ds if d.start < first_end]
        # Before any feedback, the window is the initial concurrency.
        assert len(early) == 2, (early, ds)
        assert max_overlap(ds) > 2, ("window never grew", ds)


def hop_failure_dead_destination(qmgr):
    with AgentEnv(qmgr, "test_initial_destination_concurrency = 1\n") as env:
        first = env.submit(["hop-1@dead.example"])
        env.wait_log("%s: to=<hop-1@dead.example>" % first)
        line = env.log_lines("%s: to=<hop-1@dead.example>" % first)[0]
        assert "status=deferred (test destination unreachable)" in line, line
        env.wait_where(first, "deferred")

        # Later mail for the dead destination does not reach the agent.
        later = env.submit(["ok-2@dead.example"])
        env.wait_log("%s: to=<ok-2@dead.example>" % later)
        line = env.log_lines("%s: to=<ok-2@dead.example>" % later)[0]
        assert ("status=deferred (delivery temporarily suspended: "
                "test destination unreachable)") in line, line
        assert "dsn=4.4.1" in line, line
        env.wait_where(later, "deferred")
        assert env.delivered(later) == [], env.deliveries()

        # Other destinations of the transport are not affected.
        other = env.submit(["ok-3@alive.example"])
        env.wait_log("%s: removed" % other)
        assert len(env.delivered(other)) == 1

        # F revives it.
        env.trigger(b"F")
        revived = env.submit(["ok-4@dead.example"])
        env.wait_log("%s: removed" % revived)
        line = env.log_lines("%s: to=<ok-4@dead.example>" % revived)[0]
        assert "status=sent" in line, line
        assert len(env.delivered(revived)) == 1


def check_spacing(ds, what):
    starts = sorted(d.start for d in ds)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    # 1 s delay; generous slack for clock granularity.
    assert all(g >= 900 for g in gaps), (what, gaps, ds)
    assert max_overlap(ds) == 1, (what, ds)


def destination_rate_delay(qmgr):
    with AgentEnv(qmgr, "test_destination_rate_delay = 1s\n",
                  start=False) as env:
        ids = qids("C", 4)
        for i, qid in enumerate(ids):
            env.put_incoming(qid, ["ok-%d@rate.example" % i])
        env.start()
        ds = env.wait_deliveries(4)
        check_spacing(ds, "destination_rate_delay")


def transport_rate_delay(qmgr):
    with AgentEnv(qmgr, "test_transport_rate_delay = 1s\n",
                  start=False) as env:
        ids = qids("C", 3)
        for i, qid in enumerate(ids):
            env.put_incoming(qid, ["ok-%d@r%d.example" % (i, i)])
        env.start()
        ds = env.wait_deliveries(3)
        assert len(set(d.nexthop for d in ds)) == 3, ds
        check_spacing(ds, "transport_rate_delay")


def fairness_backlog(qmgr):
    # One agent process: deliveries are strictly one after another. The
    # active queue holds 5 messages: the backlog cannot all be in core,
    # and the incoming and deferred scans must take turns.
    with AgentEnv(qmgr, "qmgr_message_active_limit = 5\n",
                  maxproc="1") as env:
        backlog = qids("D", 40)
        future = time.time() + 3600
        for i, qid in enumerate(backlog):
            env.put_deferred(qid, ["slow1-%d@backlog.example" % i], future)
        # Not due: A makes the D scan ignore the time stamps.
        env.trigger(b"AD")
        env.wait_deliveries(2)
        before = len(env.deliveries())
        new = env.submit(["ok-new@new.example"])
        env.wait_log("%s: removed" % new, timeout=30)
        ds = env.deliveries()
        at = [i for i, d in enumerate(ds) if d.qid == new]
        assert len(at) == 1, ds
        # In at once a slot frees, then behind at most the 4 others in
        # core (qmgr's job list is in arrival order; oqmgr goes round the
        # destinations).
        assert at[0] - before <= 7, ("new mail waited", before, at, ds)
        # The backlog was still there when the new message went.
        assert at[0] < 40, (at, ds)
        for qid in backlog:
            env.wait_removed(qid, timeout=60)


def leaky_bucket(qmgr):
    with AgentEnv(qmgr, "qmgr_message_active_limit = 3\n",
                  start=False) as env:
        ids = qids("E", 10)
        for i, qid in enumerate(ids):
            env.put_incoming(qid, ["slow3-%d@lb%d.example" % (i, i)])
        env.start()
        most = 0
        deadline = time.time() + 60
        while time.time() < deadline:
            most = max(most, len(env.files("active")))
            if len(env.log_lines(": removed")) >= len(ids):
                break
            time.sleep(0.01)
        for qid in ids:
            env.wait_removed(qid)
        assert most <= 3, most
        ds = env.wait_deliveries(10)
        assert 1 < max_overlap(ds) <= 3, (max_overlap(ds), ds)


def deferral_and_retry(qmgr):
    with AgentEnv(qmgr, "minimal_backoff_time = 2s\n"
                  "maximal_backoff_time = 4s\nqueue_run_delay = 1s\n") as env:
        qid = env.submit(["defer-1@later.example"])
        mtimes = []
        deadline = time.time() + 40
        while time.time() < deadline and len(env.delivered(qid)) < 3:
            path = env.path("deferred", qid)
            try:
                m = os.stat(path).st_mtime
            except FileNotFoundError:
                m = None
            if m is not None and (not mtimes or mtimes[-1] != m):
                mtimes.append(m)
            time.sleep(0.02)
        ds = env.delivered(qid)
        assert len(ds) >= 3, ds
        assert len(mtimes) >= 2, mtimes
        assert all(b > a for a, b in zip(mtimes, mtimes[1:])), mtimes
        for i, m in enumerate(mtimes[:2]):
            # The backoff after attempt i: between 2 s and 4 s (whole
            # seconds: allow one second either way).
            after = m - ds[i].end / 1000.0
            assert 1 <= after <= 5, (i, after, mtimes, ds)
            # And the next attempt waits for it.
            assert ds[i + 1].start / 1000.0 >= m - 1, (i, mtimes, ds)
        lines = env.log_lines("%s: to=<defer-1@later.example>" % qid)
        assert len(lines) >= 3, lines
        assert all("dsn=4.4.1" in line and
                   "status=deferred (test deferral)" in line
                   for line in lines), lines
        assert not env.log_lines("%s: removed" % qid), env.log()


def bounce_recipient(qmgr):
    with AgentEnv(qmgr) as env:
        qid = env.submit(["bounce-1@b.example", "ok-1@b.example"])
        env.wait_log("%s: removed" % qid)
        line = env.log_lines("%s: to=<bounce-1@b.example>" % qid)[0]
        assert "dsn=5.1.1" in line and "status=bounced (test bounce)" in line
        line = env.log_lines("%s: to=<ok-1@b.example>" % qid)[0]
        assert "status=sent" in line, line
        assert ("%s: sender non-delivery notification: " % qid) in env.log()


def expiry_and_bounce(qmgr):
    with AgentEnv(qmgr, "maximal_queue_lifetime = 0\n") as env:
        qid = env.submit(["defer-1@x.example"])
        env.wait_log("%s: removed" % qid)
        assert len(env.delivered(qid)) == 1, env.deliveries()
        line = env.log_lines("%s: to=<defer-1@x.example>" % qid)[0]
        assert "status=deferred (test deferral)" in line, line
        log = env.log()
        assert ("%s: from=<sender@example.org>, status=expired, returned to "
                "sender" % qid) in log, log
        assert ("%s: sender non-delivery notification: " % qid) in log, log


def restart_with_active_leftovers(qmgr):
    with AgentEnv(qmgr) as env:
        qid = env.submit(["slow20-1@restart.example"])
        env.wait_where(qid, "active")
        # Stop everything while the agent sleeps: the file stays in
        # active/ and the first attempt is never logged.
        env.inst.stop()
        assert env.where(qid) == "active", env.where(qid)
        assert env.delivered(qid) == [], env.deliveries()
        env.start()
        env.wait_removed(qid)
        ds = env.delivered(qid)
        assert len(ds) == 1, env.deliveries()
        line = env.log_lines("%s: to=<slow20-1@restart.example>" % qid)[0]
        assert "status=sent" in line, line


def triggers(qmgr):
    with AgentEnv(qmgr) as env:
        # Start-up scans are over once a first message went through.
        first = env.submit(["ok-0@trig.example"])
        env.wait_log("%s: removed" % first)

        for byte, qid in ((b"I", "F100000001"), (b"W", "F100000002")):
            env.put_incoming(qid, ["ok-%s@trig.example" % qid])
            assert stays_undelivered(env, qid), byte
            env.trigger(byte)
            env.wait_removed(qid)
            assert len(env.delivered(qid)) == 1, (byte, env.deliveries())

        now = time.time()
        due, later = "F100000003", "F100000004"
        env.put_deferred(due, ["ok-due@trig.example"], now - 60)
        env.put_deferred(later, ["ok-later@trig.example"], now + 3600)
        assert stays_undelivered(env, due), ("no D yet", env.deliveries())
        env.trigger(b"D")
        env.wait_removed(due)
        # D leaves files that are not due alone ...
        assert stays_undelivered(env, later), ("D", env.deliveries())
        assert env.where(later) == "deferred", env.where(later)
        # ... A alone starts no scan ...
        env.trigger(b"A")
        assert stays_undelivered(env, later), ("A", env.deliveries())
        # ... but makes the next D ignore time stamps.
        env.trigger(b"D")
        env.wait_removed(later)
        assert len(env.delivered(later)) == 1, (env.deliveries(), env.log())

        # F alone (nothing dead) does no harm.
        env.trigger(b"F")
        after_f = env.submit(["ok-f@trig.example"])
        env.wait_log("%s: removed" % after_f)

        # A collapsed buffer: both scans, time stamps ignored (A acts
        # before D although it comes last).
        inc, dfr = "F100000005", "F100000006"
        env.put_incoming(inc, ["ok-inc@trig.example"])
        env.put_deferred(dfr, ["ok-dfr@trig.example"], time.time() + 3600)
        assert stays_undelivered(env, inc), env.deliveries()
        assert not env.delivered(dfr), env.deliveries()
        env.trigger(b"DDDIIA")
        env.wait_removed(inc)
        env.wait_removed(dfr)
        assert len(env.delivered(inc)) == 1, (env.deliveries(), env.log())
        assert len(env.delivered(dfr)) == 1, (env.deliveries(), env.log())


TESTS = (crash_reply, garbage_reply, concurrency_limit_and_slow_start,
         initial_destination_concurrency, hop_failure_dead_destination,
         destination_rate_delay, transport_rate_delay, fairness_backlog,
         leaky_bucket, deferral_and_retry, bounce_recipient,
         expiry_and_bounce, restart_with_active_leftovers, triggers)


def _bind(fn, prog):
    def test():
        fn(prog)
    test.__name__ = "test_%s_%s" % (fn.__name__, prog)
    return test


_only = os.environ.get("QMGR_PROGRAM")
for _fn in TESTS:
    for _prog in PROGRAMS:
        if _only and _only != _prog:
            continue
        globals()["test_%s_%s" % (_fn.__name__, _prog)] = _bind(_fn, _prog)

run_tests(globals())
