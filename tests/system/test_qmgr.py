#!/usr/bin/env python3
"""test_qmgr - the queue manager with the preemptive scheduler, with a real
master and real agents (qmgr_helpers.QmgrEnv: our cleanup,
trivial-rewrite, bounce, discard and error, and qmgr as the qmgr service).

Checked, as for oqmgr (tests/system/test_oqmgr.py has the same world):

  * delivery by discard: the "from=<...>, size=N, nrcpt=N (queue
    active)" line, status=sent lines, "QID: removed";
  * a bounce by error and its non-delivery notice; a deferral by retry
    and a flush (F A D I) that tries it again;
  * many messages through a small active queue;

and what is particular to qmgr:

  * recipient pools: a 300-recipient message with
    qmgr_message_recipient_limit 20, a recipient pool of 30 and refills
    of 5 is read in many batches and every recipient is delivered once;
  * preemption: a 2000-recipient message (1000 entries of 2) to one
    destination with concurrency 1, then a 1-recipient message to the
    same destination sent once the big one's deliveries have started:
    the small one is delivered before the big one is finished. (With
    oqmgr the small entry waits behind all 1000 in the destination's
    FIFO.) The check is on the order of log lines, not on durations.
"""
import os
import socket
import subprocess

import formats
from harness import free_port, program, run_tests, wait_for
from qmgr_helpers import QmgrEnv, SERVICES, needed_programs

QMGR = os.environ.get("QMGR_PROGRAM", "qmgr")


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


def test_bounce_by_error():
    with QmgrEnv(QMGR) as env:
        qid = env.submit(["nobody@error.example"])
        env.wait_log("%s: removed" % qid)
        line = env.log_lines("%s: to=<nobody@error.example>" % qid)[0]
        assert "status=bounced (no such user)" in line, line
        log = env.log()
        assert ("%s: sender non-delivery notification: " % qid) in log, log
        nqid = log.split("%s: sender non-delivery notification: "
                         % qid)[1].split()[0]
        env.wait_log("%s: removed" % nqid)


def test_defer_then_flush():
    with QmgrEnv(QMGR) as env:
        qid = env.submit(["later@retry.example"])
        env.wait_where(qid, "deferred")
        line = env.log_lines("%s: to=<later@retry.example>" % qid)[0]
        assert "status=deferred (try again later)" in line, line
        mark = env.mark()
        env.trigger(b"FADI")
        env.wait_log("%s: to=<later@retry.example>" % qid, since=mark)
        env.wait_where(qid, "deferred")


def test_many_messages():
    with QmgrEnv(QMGR, main_cf="qmgr_message_active_limit = 3\n") as env:
        qids = [env.submit(["m%d@discard.example" % i]) for i in range(12)]
        for qid in qids:
            env.wait_log("%s: removed" % qid)
        assert env.files("active") == []


def test_recipient_pool_refills():
    rcpts = ["r%d@discard.example" % i for i in range(300)]
    with QmgrEnv(QMGR, main_cf="qmgr_message_active_limit = 10\n"
                 "qmgr_message_recipient_limit = 20\n"
                 "qmgr_message_recipient_minimum = 5\n"
                 "default_recipient_limit = 30\n"
                 "default_recipient_refill_limit = 5\n"
                 "default_destination_recipient_limit = 4\n") as env:
        qid = env.submit(rcpts)
        env.wait_log("%s: removed" % qid, timeout=60)
        sent = [line for line in env.log_lines("%s: to=<" % qid)
                if "status=sent" in line]
        got = sorted(line.split("to=<")[1].split(">")[0] for line in sent)
        assert got == sorted(rcpts), (len(got), len(set(got)))
        assert "nrcpt=300 (queue active)" in env.log()


def test_small_message_overtakes_big_one():
    big_rcpts = ["big%d@discard.example" % i for i in range(2000)]
    with QmgrEnv(QMGR, main_cf="discard_destination_concurrency_limit = 1\n"
                 "discard_initial_destination_concurrency = 1\n"
                 "discard_destination_recipient_limit = 2\n") as env:
        big = env.submit(big_rcpts)
        env.wait_log("%s: to=<big" % big, timeout=30)
        small = env.submit(["small@discard.example"])
        env.wait_log("%s: removed" % small, timeout=60)
        env.wait_log("%s: removed" % big, timeout=120)
        lines = [line for line in env.log().splitlines()
                 if ": to=<" in line]
        small_at = [i for i, line in enumerate(lines)
                    if line.find("%s: to=<small@" % small) >= 0]
        big_at = [i for i, line in enumerate(lines)
                  if line.find("%s: to=<big" % big) >= 0]
        assert len(small_at) == 1 and len(big_at) == 2000, (
            len(small_at), len(big_at))
        assert all("status=sent" in lines[i] for i in small_at + big_at)
        # Overtaken: big recipients were delivered after the small one.
        after = len([i for i in big_at if i > small_at[0]])
        assert after > 0, "small message delivered after all of the big one"

def test_sendmail_and_qmqp_delivered_held_mail_left_alone():
    """The whole path with our own programs, for qmgr and oqmgr: sendmail
    -> postdrop -> pickup -> cleanup, and a QMQP client -> qmqpd ->
    cleanup, then the queue manager -> discard, logged; a message cleanup
    put on hold stays in hold/ through every scan."""
    for qmgr in ("qmgr", "oqmgr"):
        port = free_port()
        env = QmgrEnv(qmgr, start=False,
                      main_cf="qmqpd_authorized_clients = 127.0.0.1\n"
                              "qmqpd_error_delay = 0\n")
        with env:
            for p in ("postdrop", "pickup", "qmqpd"):
                os.symlink(program(p), os.path.join(env.inst.libexec, p))
            with open(os.path.join(env.inst.etc, "main.cf"), "a") as f:
                f.write("command_directory = %s\n" % env.inst.libexec)
            env.inst.write_master_cf(
                SERVICES + "qmgr unix n - n 300 1 %s\n" % qmgr +
                "pickup unix n - n 60 1 pickup\n"
                "127.0.0.1:%d inet n - n - - qmqpd\n" % port)
            env.start()
            res = subprocess.run(
                [program("sendmail"), "-f", "s@example.org",
                 "viasendmail@discard.example"],
                input=b"Subject: by sendmail\n\nhello\n",
                env=dict(os.environ, MAIL_CONFIG=env.inst.etc),
                capture_output=True, timeout=30)
            assert res.returncode == 0, res
            c = socket.create_connection(("127.0.0.1", port), 10)
            c.sendall(formats.qmqp_packet(b"Subject: by QMQP\n\nhello\n",
                                          b"s@example.org",
                                          [b"viaqmqp@discard.example"]))
            reply = c.recv(1000)
            c.close()
            assert b":K" in reply, reply
            for rcpt in ("viasendmail", "viaqmqp"):
                wait_for(lambda: any(
                    "to=<%s@discard.example>" % rcpt in line and
                    "status=sent" in line and "/discard[" in line
                    for line in env.log().splitlines()),
                    what="%s delivered by discard" % rcpt)
            # Held mail: queued in hold/, never taken by any scan.
            held = hold_message(env)
            env.trigger(b"AFDI")
            again = env.submit(["after@discard.example"])
            env.wait_log("%s: removed" % again)
            assert env.where(held) == "hold", (qmgr, env.where(held))
            assert ("%s: from=" % held) not in env.log()


def test_content_filter_takes_every_recipient():
    """A message with a content filter (the L record qmqpd or smtpd write
    for content_filter) goes to the filter's transport and next hop,
    whatever its recipients resolve to; an empty next hop is
    default_filter_nexthop. Both queue managers."""
    for qmgr in ("qmgr", "oqmgr"):
        with QmgrEnv(qmgr, main_cf="default_filter_nexthop = dfn.example\n"
                     ) as env:
            a = env.submit(["x@retry.example", "y@error.example"],
                           extra_env=[formats.record("L",
                                                     "discard:filter.example")])
            b = env.submit(["z@retry.example"],
                           extra_env=[formats.record("L", "discard:")])
            for qid in (a, b):
                env.wait_log("%s: removed" % qid)
            lines = env.log_lines("%s: to=<" % a)
            assert len(lines) == 2 and all(
                "status=sent (filter.example)" in l for l in lines), lines
            (line,) = env.log_lines("%s: to=<" % b)
            assert "status=sent (dfn.example)" in line, line


def test_verp_message_delivered_per_recipient():
    """A VERP message (V record, e.g. from a QMQP list manager) is
    delivered to every recipient and removed; each delivery carries its
    own sender (util/verp_delims.c verp_sender, unit-tested)."""
    for qmgr in ("qmgr", "oqmgr"):
        with QmgrEnv(qmgr) as env:
            rcpts = ["a@discard.example", "b@discard.example",
                     "c@discard.example"]
            qid = env.submit(rcpts, sender="list-return@example.org",
                             extra_env=[formats.record("V", "+=")])
            env.wait_log("%s: removed" % qid)
            lines = env.log_lines("%s: to=<" % qid)
            assert len(lines) == 3 and all("status=sent" in l
                                           for l in lines), lines


def hold_message(env):
    """A message submitted with cleanup's HOLD flag; its queue ID."""
    s = formats.connect_unix(env.inst.socket_path("cleanup", private=False))
    try:
        raw = b""
        while not raw.endswith(b"\0\0"):
            raw += s.recv(1)
        qid = raw[:-2].split(b"\0")[3].decode()
        s.sendall(formats.attr_list([("flags", 4)]))
        R = formats.record
        s.sendall(R("T", "1700000000 0") + R("S", "s@example.org") +
                  R("R", "held@discard.example") + R("M") +
                  R("N", "Received: by test; Mon, 1 Jan 2024 00:00:00 +0000") +
                  R("N", "") + R("N", "held") + R("X") + R("E"))
        assert formats.AttrReader(s).read_list()["status"] == "0"
    finally:
        s.close()
    wait_for(lambda: env.where(qid) == "hold", what="the held message")
    return qid


run_tests(globals())
