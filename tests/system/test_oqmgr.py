#!/usr/bin/env python3
"""test_oqmgr - the old queue manager with a real master and real agents.

A real master runs our cleanup, trivial-rewrite, bounce (bounce, defer,
trace), discard, error (error, retry) and oqmgr as the qmgr service
(qmgr_helpers.QmgrEnv). Messages go in through public/cleanup or are
written straight into a queue directory; checked:

  * delivery by discard: "from=<...>, size=N, nrcpt=N (queue active)",
    the agent's status=sent line, the file removed, "QID: removed";
  * many recipients for two destinations: grouped into entries, all
    delivered;
  * a bounce by error: status=bounced, a non-delivery notice queued
    (sender non-delivery notification) and delivered, the original
    removed;
  * a deferral by retry: status=deferred, the file in deferred/ with a
    future mtime, a defer log; an F/A/D trigger takes it back at once;
    once routed elsewhere (re-configured) it is delivered;
  * maximal_queue_lifetime=0: deferred mail is returned at once
    ("status=expired, returned to sender");
  * corrupt files in incoming/ (no end record, bad size record, no
    sender, a foreign record type) go to corrupt/ with a warning;
    incomplete files (mode 0600) are left alone;
  * leftovers in active/ go back to incoming/ at start-up and are
    delivered; deferred files not yet due are left alone by a D trigger;
  * defer_transports: mail for such a transport is deferred
    ("deferred transport") until a scan that ignores time stamps (A);
  * mail to the local double-bounce address is discarded by the queue
    manager itself (status=sent, "undeliverable postmaster notification
    discarded");
  * a transport without a socket: "mail transport unavailable" (deferred
    by the retry agent, as Postfix 3.7 does), the message deferred;
  * "sendmail -v" (trace_flags): a delivery status notification;
  * delay_warning_time: a delay notice is sent and the W record becomes
    -1; the clog warning ("mail for X is using up N of M active queue
    entries"); qmgr_message_active_limit is never exceeded (log order);
    maximal_queue_lifetime = 0 lowers bounce_queue_lifetime with a
    warning;
  * mixed mode (root, Debian's postfix): Postfix 3.7's cleanup,
    trivial-rewrite, bounce, discard and error around our queue manager:
    delivered, bounced (the notice delivered too), deferred; with
    Postfix's smtp agent and an unreachable host: a dead destination
    whose mail (queued and new) the retry agent defers "delivery
    temporarily suspended: ...".
QMGR_PROGRAM=qmgr runs the same tests against qmgr.
No test asserts a duration.
"""
import os
import time

from formats import record
from harness import run_tests, wait_for
from qmgr_helpers import QmgrEnv, queue_file

QMGR = os.environ.get("QMGR_PROGRAM", "oqmgr")


def test_discard_delivery():
    with QmgrEnv(QMGR) as env:
        qid = env.submit(["a@discard.example", "b@discard.example"])
        env.wait_log("%s: removed" % qid)
        log = env.log()
        assert ("%s: from=<sender@example.org>, size=" % qid) in log, log
        assert "nrcpt=2 (queue active)" in log, log
        sent = env.log_lines("%s: to=<" % qid)
        assert len(sent) == 2, sent
        assert all("status=sent" in line for line in sent), sent
        assert env.where(qid) is None


def test_many_recipients_two_destinations():
    rcpts = ["u%d@discard.example" % i for i in range(60)]
    rcpts += ["v%d@other.example" % i for i in range(7)]
    # At most 10 recipients in core per message (oqmgr: the recipient
    # limit times qmgr_fudge_factor percent): the rest is read in refills.
    with QmgrEnv(QMGR, main_cf="qmgr_message_recipient_minimum = 5\n"
                 "qmgr_message_active_limit = 5\n"
                 "qmgr_message_recipient_limit = 10\n"
                 "qmgr_clog_warn_time = 0\n"
                 "default_destination_recipient_limit = 4\n") as env:
        qid = env.submit(rcpts)
        env.wait_log("%s: removed" % qid)
        sent = [line for line in env.log_lines("%s: to=<" % qid)
                if "status=sent" in line]
        assert len(sent) == 67, len(sent)
        assert "nrcpt=67 (queue active)" in env.log()


def test_bounce_by_error():
    with QmgrEnv(QMGR) as env:
        qid = env.submit(["nobody@error.example"])
        env.wait_log("%s: removed" % qid)
        log = env.log()
        line = env.log_lines("%s: to=<nobody@error.example>" % qid)[0]
        assert "status=bounced (no such user)" in line, line
        assert "dsn=5.1.1" in line, line
        assert ("%s: sender non-delivery notification: " % qid) in log, log
        notice = log.split("%s: sender non-delivery notification: " % qid)[1]
        nqid = notice.split()[0]
        # The notice goes to sender@example.org (discard) and is delivered.
        env.wait_log("%s: removed" % nqid)
        assert "%s: from=<>, size=" % nqid in env.log()


def test_defer_by_retry_then_flush():
    with QmgrEnv(QMGR) as env:
        qid = env.submit(["later@retry.example"])
        env.wait_where(qid, "deferred")
        line = env.log_lines("%s: to=<later@retry.example>" % qid)[0]
        assert "status=deferred (try again later)" in line, line
        assert "dsn=4.4.1" in line, line
        st = os.stat(env.path("deferred", qid))
        assert st.st_mtime > time.time() + 60, (st.st_mtime, time.time())
        assert os.path.exists(env.path("defer", qid))
        # A D trigger alone does not take a file that is not due.
        mark = env.mark()
        env.trigger(b"D")
        env.trigger(b"I")
        time.sleep(0.5)
        assert env.where(qid) == "deferred"
        assert "%s: from=" % qid not in env.log()[mark:]
        # postqueue -f: F A D I - tried again now, deferred again.
        env.trigger(b"FADI")
        env.wait_log("%s: from=<sender@example.org>" % qid, since=mark)
        env.wait_log("%s: to=<later@retry.example>" % qid, since=mark)
        env.wait_where(qid, "deferred")


def test_deferred_then_delivered_after_reroute():
    with QmgrEnv(QMGR) as env:
        qid = env.submit(["later@retry.example"])
        env.wait_where(qid, "deferred")
        # Route retry.example to discard now and force a retry.
        mcf = os.path.join(env.inst.etc, "main.cf")
        with open(mcf) as f:
            text = f.read()
        text = text.replace("retry:4.4.1 try again later", "discard:")
        with open(mcf, "w") as f:
            f.write(text)
        env.inst.reload()
        mark = env.mark()
        env.trigger(b"FADI")
        env.wait_log("%s: removed" % qid, since=mark)
        line = env.log_lines("%s: to=<later@retry.example>" % qid, mark)[0]
        assert "status=sent" in line, line
        assert not os.path.exists(env.path("defer", qid))


def test_expired_returned_to_sender():
    with QmgrEnv(QMGR, main_cf="maximal_queue_lifetime = 0\n") as env:
        qid = env.submit(["late@retry.example"])
        env.wait_log("%s: from=<sender@example.org>, status=expired, "
                     "returned to sender" % qid)
        env.wait_log("%s: removed" % qid)
        assert "%s: sender non-delivery notification: " % qid in env.log()
        # bounce_queue_lifetime (5d) was lowered, with Postfix's warning.
        assert ("warning: bounce_queue_lifetime is larger than "
                "maximal_queue_lifetime - adjusting bounce_queue_lifetime"
                in env.log())


CORRUPT_IDS = {"no-end": "A1B2C3D4E1", "bad-size": "A1B2C3D4E2",
               "no-sender": "A1B2C3D4E3", "bad-type": "A1B2C3D4E4"}


def test_corrupt_files_to_corrupt_queue():
    with QmgrEnv(QMGR, start=False) as env:
        for kind, qid in CORRUPT_IDS.items():
            env.put_file("incoming", qid, queue_file(corrupt=kind))
        # Incomplete (mode 0600): not ours to touch.
        env.put_file("incoming", "A1B2C3D4E5", queue_file(), mode=0o600)
        env.start()
        for kind, qid in CORRUPT_IDS.items():
            env.wait_where(qid, "corrupt")
            env.wait_log('saving corrupt file "%s" from queue "active" to '
                         'queue "corrupt"' % qid)
            assert "%s: corrupt queue file: " % qid in env.log(), kind
        assert env.where("A1B2C3D4E5") == "incoming"


def test_leftovers_in_active_are_delivered():
    with QmgrEnv(QMGR, start=False) as env:
        env.put_file("active", "B1B2C3D4E1",
                     queue_file(rcpts=("x@discard.example",)))
        env.put_file("active", "B1B2C3D4E2",
                     queue_file(rcpts=("y@discard.example",)))
        env.start()
        env.wait_log("B1B2C3D4E1: removed")
        env.wait_log("B1B2C3D4E2: removed")
        assert "B1B2C3D4E1: to=<x@discard.example>" in env.log()


def test_handwritten_deferred_file_due_and_not_due():
    with QmgrEnv(QMGR, start=False) as env:
        future = time.time() + 3600
        env.put_file("deferred", "C1B2C3D4E1",
                     queue_file(rcpts=("f@discard.example",)), mtime=future)
        env.put_file("deferred", "C1B2C3D4E2",
                     queue_file(rcpts=("d@discard.example",)),
                     mtime=time.time() - 10)
        env.start()
        env.wait_log("C1B2C3D4E2: removed")
        assert env.where("C1B2C3D4E1") == "deferred"
        env.trigger(b"AD")
        env.wait_log("C1B2C3D4E1: removed")


def test_defer_transports():
    with QmgrEnv(QMGR, main_cf="defer_transports = discard\n") as env:
        qid = env.submit(["held@discard.example"])
        env.wait_where(qid, "deferred")
        line = env.log_lines("%s: to=<held@discard.example>" % qid)[0]
        # Deferred by the retry agent, as Postfix 3.7's queue managers do.
        assert "/error[" in line and "dsn=4.3.2" in line, line
        assert "status=deferred (deferred transport)" in line, line
        mark = env.mark()
        env.trigger(b"AD")
        env.wait_log("%s: removed" % qid, since=mark)


def test_double_bounce_discarded_by_qmgr():
    with QmgrEnv(QMGR) as env:
        qid = env.submit(["double-bounce@qmgr.example"], sender="")
        env.wait_log("%s: removed" % qid)
        line = env.log_lines("%s: to=<double-bounce@qmgr.example>" % qid)[0]
        assert "relay=none" in line, line
        assert ("status=sent (undeliverable postmaster notification "
                "discarded)") in line, line


def test_transport_without_socket():
    with QmgrEnv(QMGR, main_cf="default_transport = nosuch\n") as env:
        qid = env.submit(["z@elsewhere.example"])
        env.wait_where(qid, "deferred")
        log = env.log()
        assert "connect to transport private/nosuch" in log, log
        line = env.log_lines("%s: to=<z@elsewhere.example>" % qid)[0]
        assert "/error[" in line and "dsn=4.3.0" in line, line
        assert "status=deferred (mail transport unavailable)" in line, line


def test_delay_warning():
    with QmgrEnv(QMGR, main_cf="delay_warning_time = 1s\n") as env:
        qid = env.submit(["slow@retry.example"])
        env.wait_log("%s: sender delay notification: " % qid)
        env.wait_where(qid, "deferred")
        # The W record now says "sent" (-1): no second warning.
        from formats import queue_file as read_queue_file
        recs = read_queue_file(env.path("deferred", qid))
        warn = [p for t, p in recs if t == "W"]
        assert warn and int(warn[0]) == -1, warn


def test_delivery_report_sendmail_v():
    # "sendmail -v": trace_flags=1024 (RECORD); the agent writes a trace
    # record, the queue manager asks for the report when done.
    with QmgrEnv(QMGR) as env:
        qid = env.submit(["v@discard.example"],
                         extra_env=[record("A", "trace_flags=1024")])
        env.wait_log("%s: sender delivery status notification: " % qid)
        env.wait_log("%s: removed" % qid)
        assert not os.path.exists(env.path("trace", qid))


def test_clog_warning():
    with QmgrEnv(QMGR, main_cf="qmgr_message_active_limit = 1\n") as env:
        qid = env.submit(["c@discard.example"])
        env.wait_log("%s: removed" % qid)
        assert ("warning: mail for discard.example is using up 1 of 1 "
                "active queue entries") in env.log(), env.log()


def test_many_messages():
    with QmgrEnv(QMGR, main_cf="qmgr_message_active_limit = 3\n") as env:
        qids = [env.submit(["m%d@discard.example" % i]) for i in range(12)]
        for qid in qids:
            env.wait_log("%s: removed" % qid)
        assert env.files("active") == []
        # Leaky bucket: never more than 3 messages in core at once.
        in_core = peak = 0
        for line in env.log().splitlines():
            if "qmgr[" not in line:
                continue
            if line.endswith("(queue active)"):
                in_core += 1
                peak = max(peak, in_core)
            elif line.endswith(": removed"):
                in_core -= 1
        assert 1 <= peak <= 3, peak


def test_mixed_postfix_cleanup_agents_bounce():
    """Postfix 3.7's cleanup writes the files, its trivial-rewrite routes,
    its discard/error agents take our requests, its bounce sends the
    notices; our queue manager runs them all."""
    with QmgrEnv(QMGR, postfix=True) as env:
        ok = env.submit(["a@discard.example", "b@other.example"])
        bad = env.submit(["nobody@error.example"])
        later = env.submit(["later@retry.example"])
        env.wait_log("%s: removed" % ok)
        assert "%s: from=<sender@example.org>, size=" % ok in env.log()
        assert "nrcpt=2 (queue active)" in env.log()
        env.wait_log("%s: removed" % bad)
        # Postfix's bounce queued a notice from <>; it is delivered too.
        wait_for(lambda: [l for l in env.log_lines(": from=<>, size=")],
                 what="the non-delivery notice")
        notice = env.log_lines(": from=<>, size=")[0].split(": from=")[0]
        nqid = notice.split()[-1]
        env.wait_log("%s: removed" % nqid)
        env.wait_where(later, "deferred")
        assert os.path.exists(env.path("defer", later))
        with open(env.path("defer", later)) as f:
            assert "try again later" in f.read()
        assert os.stat(env.path("deferred", later)).st_mtime > time.time()
        assert env.files("active") == [] and env.files("corrupt") == []


def test_mixed_dead_destination():
    """Postfix's smtp agent cannot connect: after a failed pseudo-cohort
    (window 2) the destination is dead, the rest of its mail is deferred
    by the retry agent, and so is new mail for it."""
    main_cf = ("initial_destination_concurrency = 2\n"
               "transport_maps = inline:{ dead.example=smtp:[127.0.0.1]:1 }\n")
    with QmgrEnv(QMGR, postfix=True, pf_agents=("smtp",), start=False,
                 main_cf=main_cf) as env:
        ids = ["D1B2C3D4E%d" % i for i in range(5)]
        for i, qid in enumerate(ids):
            env.put_file("incoming", qid,
                         queue_file(rcpts=("u%d@dead.example" % i,)))
        env.start()
        for qid in ids:
            env.wait_where(qid, "deferred")
        # Postfix's smtp and error log to syslog: read the defer logs.
        reasons = []
        for qid in ids:
            with open(env.path("defer", qid)) as f:
                reasons.append(f.read())
        suspended = [r for r in reasons
                     if "delivery temporarily suspended: connect to" in r]
        assert len(suspended) >= 1, reasons
        late = "D1B2C3D4F0"
        env.put_file("incoming", late,
                     queue_file(rcpts=("late@dead.example",)))
        env.trigger(b"I")
        env.wait_where(late, "deferred")
        with open(env.path("defer", late)) as f:
            assert "delivery temporarily suspended: " in f.read()


run_tests(globals())
