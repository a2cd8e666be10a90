#!/usr/bin/env python3
"""test_master - master and the server skeleton, through real processes.

Each test starts a real master in a temporary instance with the test
daemon testsvc (tests/system/testsvc.c, built on the skeleton), connects
to real sockets, and reads the real maillog. No test asserts a duration;
waits only bound how long we look for something that must happen.
"""
import os
import signal
import socket
import subprocess
import time

from harness import (Client, Instance, Skip, free_port, pid_alive, run_tests,
                     wait_for)

ECHO = "echo      unix  -       -       n       -       %s       testsvc\n"


def greeting_pid(client):
    line = client.readline()
    assert line.startswith("hello "), line
    return int(line.split()[2])


def test_spawn_on_demand_up_to_maxproc():
    with Instance(ECHO % "2") as inst:
        inst.start()
        # No client yet: master creates no child.
        time.sleep(0.3)
        assert inst.processes() == [inst.master_pid()], inst.processes()
        a = inst.connect("echo")
        b = inst.connect("echo")
        pa, pb = greeting_pid(a), greeting_pid(b)
        assert pa != pb
        # Both children are busy and maxproc is 2: the third client waits.
        c = inst.connect("echo")
        assert not c.has_line_within(1.0)
        assert len(inst.processes()) == 3
        a.send("x\n")
        assert a.readline() == "ok x"
        a.close()
        # The freed child takes the waiting client.
        assert greeting_pid(c) == pa
        b.close()
        c.close()


def test_killed_child_is_respawned():
    with Instance(ECHO % "1") as inst:
        inst.start()
        a = inst.connect("echo")
        pid = greeting_pid(a)
        os.kill(pid, signal.SIGKILL)
        inst.wait_log("pid %d killed by signal 9" % pid)
        a.close()
        b = inst.connect("echo")
        newpid = greeting_pid(b)
        assert newpid != pid and pid_alive(newpid)
        b.close()


def test_failing_child_throttles_service():
    cf = ECHO % "1" + \
        "broken    unix  -       -       n       -       1       testsvc fail\n"
    with Instance(cf, "service_throttle_time = 60s\n") as inst:
        inst.start()
        c = inst.connect("broken")
        inst.wait_log("bad command startup -- throttling")
        # Throttled: the waiting client makes master create no new child.
        time.sleep(1.5)
        assert inst.log().count("failing at start-up, as asked") == 1
        c.close()
        # Other services are not affected.
        e = inst.connect("echo")
        greeting_pid(e)
        e.close()


def test_wakeup_interval_and_conditional():
    with Instance("", "") as inst:
        marks = os.path.join(inst.dir, "marks")
        late = os.path.join(inst.dir, "late")
        inst.write_master_cf(
            "tick  unix  -  -  n  1   1  testsvc trigger %s\n"
            "late  unix  -  -  n  1?  1  testsvc trigger %s\n" % (marks, late))
        inst.start()

        def lines(path):
            try:
                with open(path) as f:
                    return f.read().splitlines()
            except FileNotFoundError:
                return []
        wait_for(lambda: len(lines(marks)) >= 2, what="two wakeups")
        assert all(line.endswith(" W") for line in lines(marks))
        # "1?": no wakeup before the service was used once.
        assert lines(late) == []
        t = inst.connect("late")
        t.send("I")
        t.close()
        wait_for(lambda: "W" in [l.split()[-1] for l in lines(late)],
                 what="conditional wakeup after first use")
        assert lines(late)[0].endswith(" I")


def test_first_wakeup_is_immediate():
    """A service with a long wakeup interval (qmgr's 300 s) is woken as
    soon as master starts, so that it looks at its queues at once."""
    with Instance("", "") as inst:
        marks = os.path.join(inst.dir, "marks")
        inst.write_master_cf(
            "tick  unix  -  -  n  300  1  testsvc trigger %s\n" % marks)
        inst.start()
        wait_for(lambda: os.path.exists(marks), timeout=10,
                 what="the first wakeup right after start")
        assert open(marks).read().strip().endswith(" W")


def test_maillog_host_is_first_label_of_myhostname():
    """maillog_file lines name the host as Postfix's postlogd does: the
    first label of myhostname."""
    with Instance(ECHO % "1", "myhostname = mx1.example.org\n") as inst:
        inst.start()
        greeting_pid(inst.connect("echo"))
        inst.wait_log("daemon started")
        lines = [l for l in inst.log().splitlines() if l]
        assert lines and all(l.split()[3] == "mx1" for l in lines), lines


def test_reload_adds_changes_removes_services():
    cf = ("keep  unix  -  -  n  -  1  testsvc -o testsvc_param=one\n"
          "gone  unix  -  -  n  -  1  testsvc\n")
    with Instance(cf) as inst:
        inst.start()
        held = inst.connect("keep")
        assert held.readline().endswith(" one")
        # A second client waits in the backlog of the busy service.
        waiting = inst.connect("keep")
        assert not waiting.has_line_within(0.5)
        inst.write_master_cf(
            "keep  unix  -  -  n  -  1  testsvc -o testsvc_param=two\n"
            "new   unix  -  -  n  -  1  testsvc\n")
        inst.reload()
        # The client being served keeps its old child...
        held.send("still\n")
        assert held.readline() == "ok still"
        held.close()
        # ...and the waiting client is served by the new configuration.
        assert waiting.readline().endswith(" two")
        waiting.close()
        n = inst.connect("new")
        greeting_pid(n)
        n.close()
        wait_for(lambda: not os.path.exists(inst.socket_path("gone")),
                 what="removed service's socket to go")


def test_reload_moves_service_between_private_and_public():
    """A service whose private column changes gets its socket in the
    other directory, and the old name disappears."""
    with Instance("svc  unix  -  -  n  -  1  testsvc\n") as inst:
        inst.start()
        greeting_pid(inst.connect("svc"))
        inst.write_master_cf("svc  unix  n  -  n  -  1  testsvc\n")
        inst.reload()
        wait_for(lambda: os.path.exists(inst.socket_path("svc", private=False)),
                 what="the public socket")
        wait_for(lambda: not os.path.exists(inst.socket_path("svc")),
                 what="the private socket to go")
        c = inst.connect("svc", private=False)
        greeting_pid(c)
        c.close()


def test_stop_leaves_no_process():
    with Instance(ECHO % "3") as inst:
        inst.start()
        clients = [inst.connect("echo") for _ in range(3)]
        for c in clients:
            greeting_pid(c)
        assert len(inst.processes()) == 4
        inst.stop()
        wait_for(lambda: inst.processes() == [], what="all processes gone")
        assert "terminating on signal 15" in inst.log()
        for c in clients:
            c.close()


def test_second_master_refuses():
    with Instance(ECHO % "1") as inst:
        inst.start()
        res = inst.run_master("-d")
        assert res.returncode != 0
        assert "already running" in res.stderr + inst.log()
        # master -t: 1 while running, 0 once stopped.
        assert inst.run_master("-t").returncode == 1
        inst.stop()
        assert inst.run_master("-t").returncode == 0


def test_malformed_master_cf_refused():
    cases = [
        ("echo unix - - n -\n", "master.cf, line 1"),
        ("echo unix - - n - 1 testsvc\nbad  tcp - - n - 1 testsvc\n",
         "master.cf, line 2"),
        ("echo unix - - q - 1 testsvc\n", "master.cf, line 1"),
    ]
    for text, where in cases:
        with Instance(text) as inst:
            res = inst.run_master("-d")
            assert res.returncode != 0, text
            assert where in res.stderr + inst.log(), (text, res.stderr)
            assert inst.processes() == []


def test_malformed_main_cf_refused():
    with Instance(ECHO % "1", "this line has no equals sign\n") as inst:
        res = inst.run_master("-d")
        assert res.returncode != 0
        assert "main.cf, line " in res.stderr + inst.log(), res.stderr


def test_skeleton_max_use_and_max_idle():
    cf = ("used  unix  -  -  n  -  1  testsvc -o max_use=2\n"
          "idle  unix  -  -  n  -  1  testsvc -o max_idle=1s\n")
    with Instance(cf) as inst:
        inst.start()
        pids = []
        for _ in range(3):
            c = inst.connect("used")
            pids.append(greeting_pid(c))
            c.close()
            if len(pids) == 2:
                wait_for(lambda: not pid_alive(pids[0]),
                         what="child to exit after max_use clients")
        assert pids[0] == pids[1] and pids[2] != pids[0], pids
        c = inst.connect("idle")
        pid = greeting_pid(c)
        c.close()
        wait_for(lambda: not pid_alive(pid), what="child to exit when idle")
        # Voluntary exits are not failures: nothing is throttled.
        assert "throttling" not in inst.log()
        assert "exit status" not in inst.log()


def test_skeleton_watchdog():
    cf = "slow  unix  -  -  n  -  1  testsvc -o daemon_timeout=1s slow 30\n"
    with Instance(cf) as inst:
        inst.start()
        c = inst.connect("slow")
        inst.wait_log("fatal: watchdog timeout")
        inst.wait_log("exit status 1")
        c.close()


def test_skeleton_standalone_mode():
    with Instance("") as inst:
        env = dict(os.environ, MAIL_CONFIG=inst.etc)
        res = subprocess.run([os.path.join(inst.libexec, "testsvc"), "-S",
                              "-n", "alone"], input="one\ntwo\n", env=env,
                             capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res.stderr
        lines = res.stdout.splitlines()
        assert lines[0].startswith("hello alone "), lines
        assert lines[1:] == ["ok one", "ok two"], lines
        # Without -S, a daemon refuses to run by hand from a terminal; and
        # without master's descriptors it says so instead of guessing.
        res = subprocess.run([os.path.join(inst.libexec, "testsvc")],
                             stdin=subprocess.DEVNULL, env=env,
                             capture_output=True, text=True, timeout=30)
        assert res.returncode != 0
        assert "not started by master" in res.stderr + inst.log(), res.stderr


def test_unprivileged_service_runs_as_mail_owner():
    if os.getuid() != 0:
        raise Skip("needs root")
    import pwd
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        raise Skip("no nobody account")
    cf = ("priv  unix  -  n  n  -  1  testsvc\n"
          "unpr  unix  -  y  n  -  1  testsvc\n")
    with Instance(cf) as inst:
        os.chmod(inst.dir, 0o755)
        os.chmod(inst.etc, 0o755)
        inst.write_main_cf("mail_owner = nobody\n")
        os.chmod(os.path.join(inst.etc, "main.cf"), 0o644)
        inst.start()
        a = inst.connect("priv")
        b = inst.connect("unpr")
        pa, pb = greeting_pid(a), greeting_pid(b)
        assert os.stat("/proc/%d" % pa).st_uid == 0
        assert os.stat("/proc/%d" % pb).st_uid == nobody.pw_uid
        a.close()
        b.close()


def test_throttled_service_removed_by_reload():
    # The unthrottle timer of a removed service must die with it (this was
    # a use-after-free, caught by the sanitizer build of this test).
    cf = ECHO % "1" + \
        "broken    unix  -       -       n       -       1       testsvc fail\n"
    with Instance(cf, "service_throttle_time = 1s\n") as inst:
        inst.start()
        c = inst.connect("broken")
        inst.wait_log("bad command startup -- throttling")
        c.close()
        inst.write_master_cf(ECHO % "1")
        inst.reload()
        time.sleep(1.5)
        assert pid_alive(inst.master_pid())
        e = inst.connect("echo")
        greeting_pid(e)
        e.close()


def test_silent_trigger_client_does_not_stall_service():
    with Instance("") as inst:
        marks = os.path.join(inst.dir, "marks")
        inst.write_master_cf("tick  unix  -  -  n  -  1  testsvc trigger %s\n"
                             % marks)
        inst.start()
        silent = inst.connect("tick")
        t = inst.connect("tick")
        t.send("I")
        t.close()
        # The solitary trigger server gives the silent client a bounded
        # wait (10 s) and then takes the next trigger.
        wait_for(lambda: os.path.exists(marks), timeout=30,
                 what="trigger after a silent client")
        silent.close()


def test_trigger_server_reads_datagrams():
    """A trigger server on a unix-dgram endpoint reads each datagram."""
    with Instance("") as inst:
        marks = os.path.join(inst.dir, "marks")
        inst.write_master_cf(
            "tick  unix-dgram  -  -  n  -  1  testsvc trigger %s\n" % marks)
        inst.start()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(b"DI", inst.socket_path("tick"))
        s.close()
        wait_for(lambda: os.path.exists(marks) and
                 open(marks).read().strip().endswith(" DI"),
                 what="the datagram's bytes")


def test_stream_server_on_fifo_is_refused():
    """A single server given a fifo would spin on a readable descriptor
    it cannot accept from: it must refuse at start-up, and master then
    throttles the service."""
    with Instance("", "service_throttle_time = 60s\n") as inst:
        inst.write_master_cf("echo  fifo  -  -  n  -  1  testsvc\n")
        inst.start()
        fd = os.open(inst.socket_path("echo"), os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, b"x")
        os.close(fd)
        inst.wait_log("needs a stream socket")
        inst.wait_log("bad command startup -- throttling")


def test_children_report_available_again():
    """After each client a child must tell master it is free again: with
    maxproc 2, five clients one after another are all served (a missing
    AVAIL report would leave master believing both children busy, and
    the third client would wait forever)."""
    for mode in ("echo", "multi"):
        with Instance("echo  unix  -  -  n  -  2  testsvc %s\n" % mode) as inst:
            inst.start()
            pids = set()
            for _ in range(5):
                c = inst.connect("echo")
                if mode == "multi":
                    # A multi server answers requests; it does not greet.
                    c.send("x\n")
                    assert c.readline() == "ok x"
                else:
                    pids.add(greeting_pid(c))
                c.close()
            assert mode == "multi" or 1 <= len(pids) <= 2, pids


def test_inet_service_loopback_only_and_interfaces_kept_on_reload():
    """inet_interfaces = loopback-only binds 127.0.0.1; a reload that
    changes inet_interfaces keeps the sockets (and the -s count the
    children are started with) and says when the change applies."""
    port = free_port()
    cf = "%d  inet  n  -  n  -  2  testsvc\n" % port
    with Instance(cf, "inet_interfaces = loopback-only\n") as inst:
        inst.start()
        def served():
            c = Client(socket.create_connection(("127.0.0.1", port), 5))
            greeting_pid(c)
            c.close()
        served()
        inst.write_main_cf("inet_interfaces = 127.0.0.1, 127.0.0.2\n")
        mark = len(inst.log())
        inst.reload()
        inst.wait_log("takes effect after", since=mark)
        # A fresh child (new generation) serves on the kept socket.
        for _ in range(3):
            served()
        assert "fatal" not in inst.log()[mark:]


if __name__ == "__main__":
    run_tests(globals())
