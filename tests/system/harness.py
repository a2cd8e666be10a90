"""harness - run a real Postern instance for system tests.

An Instance is a self-contained installation in a temporary directory:
etc/ (main.cf, master.cf), spool/ (queue_directory), libexec/ (the
daemon_directory: links to the programs under test in the build tree) and
maillog (maillog_file). It starts the real master, talks to services over
their real sockets, reads the real log, and always stops what it started.

Tests are plain functions named test_*; run_tests() runs those of a module
and prints "<program>: N passed, N failed" like the CUnit programs (with
", N skipped" when a test raised Skip), so test.sh adds them up.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

BUILD = os.path.abspath(os.environ.get("top_builddir", "."))

# Programs an instance may run, by the name master.cf uses.
PROGRAMS = {
    "master": "master/master",
    "testsvc": "tests/system/testsvc",
    "postern": "postern/postern",
    "trivial-rewrite": "rewrite/trivial-rewrite",
    "cleanup": "cleanup/cleanup",
    "qmqpd": "qmqpd/qmqpd",
    "pickup": "pickup/pickup",
    "postdrop": "postdrop/postdrop",
    "sendmail": "sendmail/sendmail",
    "bounce": "bounce/bounce",
    "discard": "discard/discard",
    "error": "error/error",
    "oqmgr": "oqmgr/oqmgr",
    "qmgr": "qmgr/qmgr",
    "testagent": "tests/system/testagent",
}


def program(name):
    return os.path.join(BUILD, PROGRAMS[name])


class Instance:
    def __init__(self, master_cf, main_cf="", programs=("testsvc",)):
        self.dir = tempfile.mkdtemp(prefix="postern-sys.")
        self.etc = os.path.join(self.dir, "etc")
        self.spool = os.path.join(self.dir, "spool")
        self.libexec = os.path.join(self.dir, "libexec")
        self.maillog = os.path.join(self.dir, "maillog")
        for d in (self.etc, self.spool, self.libexec):
            os.makedirs(d)
        for p in set(programs) | {"master"}:
            os.symlink(program(p), os.path.join(self.libexec, p))
        self.write_main_cf(main_cf)
        self.write_master_cf(master_cf)
        self.started = False

    def write_main_cf(self, extra=""):
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write("queue_directory = %s\n" % self.spool)
            f.write("daemon_directory = %s\n" % self.libexec)
            f.write("data_directory = %s\n" % self.spool)
            f.write("maillog_file = %s\n" % self.maillog)
            f.write("mail_owner = %s\n" % current_user())
            f.write("inet_interfaces = 127.0.0.1\n")
            f.write(extra)

    def write_master_cf(self, text):
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(text)

    def run_master(self, *args, timeout=10):
        return subprocess.run([program("master"), "-c", self.etc] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout)

    def start(self):
        for d in ("private", "public", "pid"):
            os.makedirs(os.path.join(self.spool, d), exist_ok=True)
        os.chmod(os.path.join(self.spool, "private"), 0o700)
        res = self.run_master("-w")
        if res.returncode != 0:
            raise AssertionError("master -w failed: %s %s\n%s" % (
                res.stdout, res.stderr, self.log()))
        self.started = True
        return res

    def master_pid(self):
        with open(os.path.join(self.spool, "pid", "master.pid")) as f:
            return int(f.read().strip())

    def reload(self):
        mark = len(self.log())
        os.kill(self.master_pid(), signal.SIGHUP)
        self.wait_log("reload -- version", since=mark)

    def stop(self):
        if not self.started:
            return
        pid = self.master_pid()
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 15
        while time.time() < deadline and pid_alive(pid):
            time.sleep(0.05)
        self.started = False

    def processes(self):
        """Pids of live processes whose MAIL_CONFIG or argv names this
        instance (master and every child)."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/environ" % entry, "rb") as f:
                    env = f.read()
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    cmd = f.read()
                with open("/proc/%s/stat" % entry) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state == "Z":
                continue
            if (b"MAIL_CONFIG=" + self.etc.encode()) in env or \
                    self.etc.encode() in cmd:
                found.append(int(entry))
        return found

    def cleanup(self):
        try:
            self.stop()
        finally:
            for pid in self.processes():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, text, since=0, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.log()[since:]:
                return
            time.sleep(0.05)
        raise AssertionError("log never said %r; log:\n%s" % (text, self.log()))

    def socket_path(self, name, private=True):
        return os.path.join(self.spool, "private" if private else "public",
                            name)

    def connect(self, name, private=True, timeout=5):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.socket_path(name, private))
        return Client(s)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


class Client:
    def __init__(self, sock):
        self.sock = sock
        self.pending = b""

    def readline(self, timeout=5):
        self.sock.settimeout(timeout)
        while b"\n" not in self.pending:
            data = self.sock.recv(4096)
            if not data:
                raise EOFError("connection closed")
            self.pending += data
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()

    def has_line_within(self, seconds):
        try:
            self.readline(timeout=seconds)
            return True
        except socket.timeout:
            return False

    def send(self, text):
        self.sock.sendall(text.encode())

    def close(self):
        self.sock.close()


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def current_user():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(predicate, timeout=10, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Skip(Exception):
    """Raised by a test that cannot run here (e.g. needs root)."""


def run_tests(module_globals):
    name = os.path.splitext(os.path.basename(module_globals["__file__"]))[0]
    tests = sorted((k, v) for k, v in module_globals.items()
                   if k.startswith("test_") and callable(v))
    only = os.environ.get("TEST_ONLY")
    passed = failed = skipped = 0
    for tname, fn in tests:
        if only and only not in tname:
            continue
        start = time.time()
        try:
            fn()
            passed += 1
            print("PASS %s (%.1fs)" % (tname, time.time() - start), flush=True)
        except Skip as why:
            skipped += 1
            print("SKIP %s (%s)" % (tname, why), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s" % tname, flush=True)
            traceback.print_exc(file=sys.stdout)
    if skipped:
        print("\n%s: %d passed, %d failed, %d skipped" % (name, passed, failed,
                                                       skipped))
    else:
        print("\n%s: %d passed, %d failed" % (name, passed, failed))
    sys.exit(1 if failed else 0)
