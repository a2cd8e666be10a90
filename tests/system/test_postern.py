#!/usr/bin/env python3
"""test_postern - the postern administration command, through real processes.

postern start / status / reload / stop / abort / check against a real
instance, and postern conf (postconf's flags) against real main.cf and
master.cf files.
"""
import os
import socket
import stat
import subprocess

from harness import Skip, Instance, program, run_tests, wait_for

ECHO = "echo      unix  -       -       n       -       1       testsvc\n"

# Every parameter of the seed documents with its documented default, as
# "postern conf -d" must print it. (syslog_name, queue_directory and
# config_directory are Postern's own defaults; see param_table.c.)
SEED_DEFAULTS = {
    "allow_min_user": "no",
    "bounce_queue_lifetime": "5d",
    "confirm_delay_cleared": "no",
    "content_filter": "",
    "daemon_timeout": "18000s",
    "debug_peer_level": "2",
    "debug_peer_list": "",
    "default_delivery_slot_cost": "5",
    "default_delivery_slot_discount": "50",
    "default_delivery_slot_loan": "3",
    "default_destination_concurrency_failed_cohort_limit": "1",
    "default_destination_concurrency_limit": "20",
    "default_destination_concurrency_negative_feedback": "1",
    "default_destination_concurrency_positive_feedback": "1",
    "default_destination_rate_delay": "0s",
    "default_destination_recipient_limit": "50",
    "default_extra_recipient_limit": "1000",
    "default_filter_nexthop": "",
    "default_minimum_delivery_slots": "3",
    "default_recipient_limit": "20000",
    "default_recipient_refill_delay": "5s",
    "default_recipient_refill_limit": "100",
    "default_transport_rate_delay": "0s",
    "defer_transports": "",
    "delay_logging_resolution_limit": "2",
    "destination_concurrency_feedback_debug": "no",
    "helpful_warnings": "yes",
    "hopcount_limit": "50",
    "info_log_address_format": "external",
    "initial_destination_concurrency": "5",
    "ipc_timeout": "3600s",
    "line_length_limit": "2048",
    "max_idle": "100s",
    "max_use": "100",
    "maximal_backoff_time": "4000s",
    "maximal_queue_lifetime": "5d",
    "message_size_limit": "10240000",
    "minimal_backoff_time": "300s",
    "qmgr_clog_warn_time": "300s",
    "qmgr_daemon_timeout": "1000s",
    "qmgr_fudge_factor": "100",
    "qmgr_ipc_timeout": "60s",
    "qmgr_message_active_limit": "20000",
    "qmgr_message_recipient_limit": "20000",
    "qmgr_message_recipient_minimum": "10",
    "qmqpd_authorized_clients": "",
    "qmqpd_client_port_logging": "no",
    "qmqpd_error_delay": "1s",
    "qmqpd_timeout": "300s",
    "queue_run_delay": "300s",
    "receive_override_options": "",
    "soft_bounce": "no",
    "syslog_facility": "mail",
    "syslog_name": "postern",
    "transport_retry_time": "60s",
    "verp_delimiter_filter": "-=+",
    "address_verify_pending_request_limit": "5000",
}
SEED_PRESENT = ["config_directory", "queue_directory", "process_id",
                "process_name", "service_name"]


def postern(inst, *args, check=False):
    res = subprocess.run([program("postern"), "-c", inst.etc] + list(args),
                         stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=60)
    if check and res.returncode != 0:
        raise AssertionError("postern %s: %d\n%s%s" % (
            " ".join(args), res.returncode, res.stdout, res.stderr))
    return res


def conf_lines(text):
    out = {}
    for line in text.splitlines():
        name, _, value = line.partition(" = ")
        if not _ and line.endswith(" ="):
            name, value = line[:-2], ""
        out[name] = value
    return out


def test_start_status_reload_stop():
    with Instance(ECHO, programs=("testsvc",)) as inst:
        assert postern(inst, "status").returncode == 1
        postern(inst, "start", check=True)
        inst.started = True
        res = postern(inst, "status", check=True)
        assert "is running: PID: %d" % inst.master_pid() in res.stderr
        # start refuses while running
        res = postern(inst, "start")
        assert res.returncode != 0 and "already running" in res.stderr
        c = inst.connect("echo")
        assert c.readline().startswith("hello echo ")
        c.close()
        mark = len(inst.log())
        postern(inst, "reload", check=True)
        inst.wait_log("reload -- version", since=mark)
        postern(inst, "stop", check=True)
        inst.started = False
        wait_for(lambda: inst.processes() == [], what="everything to stop")
        assert postern(inst, "status").returncode == 1
        assert postern(inst, "stop").returncode != 0


def test_relative_config_dir():
    """-c with a relative path: master and its children chdir to the
    queue directory, so the path must be made absolute first, or the
    children and a reload would read another directory."""
    with Instance(ECHO) as inst:
        def rel(*args):
            return subprocess.run(
                [program("postern"), "-c", "etc"] + list(args),
                cwd=inst.dir, stdin=subprocess.DEVNULL, capture_output=True,
                text=True, timeout=60)
        res = rel("start")
        assert res.returncode == 0, res.stderr
        inst.started = True
        c = inst.connect("echo")
        assert c.readline().startswith("hello echo ")
        c.close()
        mark = len(inst.log())
        assert rel("reload").returncode == 0
        inst.wait_log("reload -- version", since=mark)
        assert "fatal" not in inst.log()[mark:]
        assert rel("status").returncode == 0


def test_status_unreadable_pid_file_is_not_not_running():
    """A user who may not read pid/master.pid must not be told the mail
    system is stopped while it runs."""
    if os.geteuid() != 0:
        raise Skip("needs root to run postern as another user")
    with Instance(ECHO) as inst:
        postern(inst, "start", check=True)
        inst.started = True
        for d in (inst.dir, inst.etc):
            os.chmod(d, 0o755)
        os.chmod(os.path.join(inst.etc, "main.cf"), 0o644)
        os.chmod(os.path.join(inst.spool, "pid"), 0o700)
        res = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             program("postern"), "-c", inst.etc, "status"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=60)
        assert res.returncode != 0
        assert "not running" not in res.stderr, res.stderr
        assert "cannot tell whether master runs" in res.stderr, res.stderr


def test_start_failure_reason_is_shown():
    """When master cannot start (here: its inet port is taken), "postern
    start" fails and prints master's reason, not only the log."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        with Instance("%d  inet  n  -  n  -  1  testsvc\n" % port) as inst:
            res = postern(inst, "start")
            assert res.returncode != 0
            assert "fatal" in res.stderr and str(port) in res.stderr, \
                res.stderr
            assert postern(inst, "status").returncode == 1
    finally:
        busy.close()


def test_start_fg():
    with Instance(ECHO) as inst:
        fg = subprocess.Popen([program("postern"), "-c", inst.etc, "start-fg"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        try:
            inst.started = True
            wait_for(lambda: os.path.exists(inst.socket_path("echo")),
                     what="master in the foreground to listen")
            c = inst.connect("echo")
            assert c.readline().startswith("hello echo ")
            c.close()
            # Still in the foreground: start-fg has not returned.
            assert fg.poll() is None
            postern(inst, "stop", check=True)
            inst.started = False
            assert fg.wait(timeout=30) == 0
            # start-fg logs to standard error as well as to maillog_file.
            err = fg.stderr.read()
            assert "daemon started" in err and "terminating on signal" in err
        finally:
            if fg.poll() is None:
                fg.kill()
                fg.wait()


def test_abort():
    with Instance(ECHO) as inst:
        postern(inst, "start", check=True)
        inst.started = True
        postern(inst, "abort", check=True)
        wait_for(lambda: inst.processes() == [], what="abort to finish")
        inst.started = False


def test_check_creates_and_fixes_directories():
    with Instance(ECHO) as inst:
        os.makedirs(os.path.join(inst.spool, "incoming"), mode=0o777)
        os.chmod(os.path.join(inst.spool, "incoming"), 0o777)
        postern(inst, "check", check=True)
        want = {"incoming": 0o700, "active": 0o700, "deferred": 0o700,
                "hold": 0o700, "corrupt": 0o700, "bounce": 0o700,
                "defer": 0o700, "trace": 0o700, "private": 0o700,
                "maildrop": 0o730, "public": 0o710, "pid": 0o755}
        for d, mode in want.items():
            st = os.lstat(os.path.join(inst.spool, d))
            assert stat.S_ISDIR(st.st_mode), d
            assert stat.S_IMODE(st.st_mode) == mode, (d, oct(st.st_mode))
        # A file where a directory belongs is an error, not a guess.
        os.rmdir(os.path.join(inst.spool, "hold"))
        open(os.path.join(inst.spool, "hold"), "w").close()
        res = postern(inst, "check")
        assert res.returncode != 0 and "hold exists but is not a directory" \
            in res.stderr


def test_check_keeps_special_bits_and_follows_queue_directory_link():
    """A distribution's sticky maildrop/ stays sticky when its permission
    bits are fixed; queue_directory may be a symbolic link."""
    with Instance(ECHO) as inst:
        real = os.path.join(inst.dir, "real-spool")
        os.rename(inst.spool, real)
        os.symlink(real, inst.spool)
        maildrop = os.path.join(real, "maildrop")
        os.makedirs(maildrop)
        os.chmod(maildrop, 0o1700)
        res = postern(inst, "check", check=True)
        assert stat.S_IMODE(os.lstat(maildrop).st_mode) == 0o1730, res.stderr
        assert os.path.islink(inst.spool)
        assert os.path.isdir(os.path.join(real, "incoming"))
        # Nothing left to fix: a second run is silent.
        assert "fixed" not in postern(inst, "check", check=True).stderr


def test_conf_defaults_hold_every_seed_parameter():
    with Instance(ECHO) as inst:
        res = postern(inst, "conf", "-d", check=True)
        got = conf_lines(res.stdout)
        for name, value in SEED_DEFAULTS.items():
            assert name in got, name
            assert got[name] == value, (name, got[name], value)
        for name in SEED_PRESENT:
            assert name in got, name
        # Per-transport families resolve to their defaults.
        res = postern(inst, "conf", "-d", "smtp_destination_concurrency_limit",
                      check=True)
        assert res.stdout.strip() == \
            "smtp_destination_concurrency_limit = $default_destination_concurrency_limit"


def test_conf_non_default_named_and_edit():
    with Instance(ECHO) as inst:
        path = os.path.join(inst.etc, "main.cf")
        with open(path, "a") as f:
            f.write("# keep this comment\nmaximal_queue_lifetime = 2d\n"
                    "qmqpd_authorized_clients = 127.0.0.1,\n"
                    "    10.0.0.0/8\n# and this one\n")
        res = postern(inst, "conf", "-n", check=True)
        got = conf_lines(res.stdout)
        assert got["maximal_queue_lifetime"] == "2d"
        assert got["qmqpd_authorized_clients"] == "127.0.0.1, 10.0.0.0/8"
        assert "minimal_backoff_time" not in got
        res = postern(inst, "conf", "maximal_queue_lifetime",
                      "minimal_backoff_time", check=True)
        assert res.stdout == ("maximal_queue_lifetime = 2d\n"
                              "minimal_backoff_time = 300s\n")
        res = postern(inst, "conf", "-h", "maximal_queue_lifetime", check=True)
        assert res.stdout == "2d\n"
        postern(inst, "conf", "-e", "qmqpd_authorized_clients=192.0.2.1",
                "soft_bounce=yes", check=True)
        text = open(path).read()
        assert "# keep this comment\n" in text and "# and this one\n" in text
        assert "10.0.0.0/8" not in text
        assert "qmqpd_authorized_clients = 192.0.2.1\n" in text
        assert "soft_bounce = yes\n" in text
        res = postern(inst, "conf", "-x", "myorigin", check=True)
        assert res.stdout.strip() != "myorigin = $myhostname"
        # As postconf: a warning, and the exit status is not changed.
        res = postern(inst, "conf", "no_such_parameter")
        assert "no_such_parameter: unknown parameter" in res.stderr


def test_conf_master_services():
    with Instance(ECHO + "628  inet  n  -  n  -  -  testsvc -o x=y\n") as inst:
        res = postern(inst, "conf", "-M", check=True)
        lines = res.stdout.splitlines()
        assert lines[0].split()[:7] == ["echo", "unix", "-", "-", "n", "-",
                                        "1"], lines
        assert lines[1].split() == ["628", "inet", "n", "-", "n", "-", "-",
                                    "testsvc", "-o", "x=y"], lines


if __name__ == "__main__":
    run_tests(globals())
