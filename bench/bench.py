#!/usr/bin/env python3
"""bench.py - run the benchmark scenarios against Postfix and Postern.

Driven by bench/run.sh, which builds and installs Postern, creates the
two CPU-accounting cgroups, and stops everything on exit; this program
writes both instances' configuration, runs each scenario N times
(Postfix and Postern alternating, a fresh queue per run), measures, and
prints one table per scenario (see /work/shared/spec/benchmarks.md).

Usage (normally through run.sh):
  bench.py --work DIR --postern PREFIX --cg-postfix DIR --cg-postern DIR
           [-n RUNS] [-s I,S2,...] [-m MESSAGES] [--json FILE]
           [--mta both|postfix|postern] [--timeout SECONDS]

What is measured, per run and MTA:
  intake   wall time of qmqp-source (10 sessions, 2 KB, one recipient);
           qmqp-source runs outside the MTA's cgroup.
  e2e      from the start of qmqp-source until the queue (incoming/,
           active/, deferred/, hold/) is empty, polled every 20 ms; for
           scenario I (no queue manager) e2e is the intake time and the
           check is that all messages are in incoming/.
  msg/s    messages / e2e.
  CPU      total CPU seconds of every MTA process, including exited
           children: the master is started inside a cgroup of its own
           (cgroup v1 cpuacct.usage, or cgroup v2 cpu.stat usage_usec),
           so everything it forks is charged there, exited or not; the
           figure is the counter's increase from just before injection
           to the moment the queue is empty (start-up and shut-down are
           not counted).
  per-program split
           the daemon_directory of each instance is a directory of
           wrappers (bench/cgwrap.c, compiled here): the master starts
           the wrapper under the daemon's name, the wrapper moves itself
           into the subgroup <cgroup>/<program> and execs the real
           daemon; the master runs in <cgroup>/master. Same counters as
           the total, same interval; the cost is one extra execve per
           daemon process start, charged to the MTA.
  qmgr RSS VmHWM of the queue manager process just before stop.
  kernel % the system-time share of the MTA's CPU (cpuacct.stat).
  client   CPU of qmqp-source (getrusage of children): same client, so
           it should be the same on both sides.
  other    CPU the rest of the machine used meanwhile (/proc/stat busy
           time minus MTA and client), as a share of the machine: the
           noise indicator (other helpers' builds run on this machine).
  processes  distinct pids per program in the log (how many processes
           of each program were started and logged something).

Scenario notes: I runs without a queue manager (commented out in both
master.cf files) and with in_flow_delay = 0s on both sides (otherwise
Postfix's cleanup waits 1 s per message for flow-control tokens that
only a queue manager hands out); Postfix logs "unable to look up
public/qmgr" once per message there. S2 and the S3 stand-in deliver
with default_transport = discard. S1/S3 start smtp-sink (outside the
cgroups) for the scenario. S4 and S5 are not implemented yet.

Every figure is the median of the runs, shown with min and max; the
ratio column is Postern / Postfix of the medians.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

QMQP_SOURCE = "/usr/sbin/qmqp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
PF_SBIN = "/usr/lib/postfix/sbin"
PF_PORT = 6280
PN_PORT = 6281
SINK_PORT = 2525
LOG_TAG = re.compile(r" (?:postfix|postern)/([-a-z]+)\[(\d+)\]: ")
CGWRAP_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "cgwrap.c")

SCENARIOS = ["I", "S1", "S2", "S3", "S4a", "S4b", "S4c", "S5"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, **kw)


# ---------------------------------------------------------------- cgroups

class Cgroup:
    def __init__(self, path):
        self.path = path
        self.v2 = os.path.exists(os.path.join(path, "cpu.stat")) and \
            not os.path.exists(os.path.join(path, "cpuacct.usage"))

    def usage(self):
        """CPU seconds charged to the group so far (exited tasks too)."""
        if self.v2:
            with open(os.path.join(self.path, "cpu.stat")) as f:
                for line in f:
                    k, v = line.split()
                    if k == "usage_usec":
                        return int(v) / 1e6
            raise RuntimeError("no usage_usec in cpu.stat")
        with open(os.path.join(self.path, "cpuacct.usage")) as f:
            return int(f.read()) / 1e9

    def system_share(self):
        """(system, user) CPU time of the group, in the counter's units."""
        if self.v2:
            vals = {}
            with open(os.path.join(self.path, "cpu.stat")) as f:
                for line in f:
                    k, v = line.split()
                    vals[k] = int(v)
            return vals.get("system_usec", 0), vals.get("user_usec", 0)
        vals = {}
        with open(os.path.join(self.path, "cpuacct.stat")) as f:
            for line in f:
                k, v = line.split()
                vals[k] = int(v)
        return vals.get("system", 0), vals.get("user", 0)

    def pids(self):
        """Every process in the group and its subgroups."""
        found = []
        for d, _, files in os.walk(self.path):
            if "cgroup.procs" in files:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    found += [int(x) for x in f.read().split()]
        return found

    def sub(self, name):
        path = os.path.join(self.path, name)
        os.makedirs(path, exist_ok=True)
        return Cgroup(path)

    def enter(self):
        """preexec_fn: move the child into this group."""
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))


# ------------------------------------------------- per-program cgroups

NOT_WRAPPED = {"master", "postfix-script", "postfix-tls-script",
               "postfix-wrapper", "postmulti-script", "post-install"}


def make_wrapdir(real_dir, wrap_dir, cg_dir, src):
    """A daemon_directory whose daemons run in per-program cgroups."""
    shutil.rmtree(wrap_dir, ignore_errors=True)
    os.makedirs(wrap_dir)
    wrapper = os.path.join(wrap_dir, ".cgwrap")
    run(["gcc", "-O2", "-o", wrapper, '-DCG_DIR="%s"' % cg_dir,
         '-DREAL_DIR="%s"' % real_dir, src])
    for name in sorted(os.listdir(real_dir)):
        path = os.path.join(wrap_dir, name)
        real = os.path.join(real_dir, name)
        if name in NOT_WRAPPED or not os.access(real, os.X_OK) or \
                os.path.isdir(real):
            os.symlink(real, path)
        else:
            os.link(wrapper, path)


def usage_tree(cg):
    """CPU seconds of the group and of each per-program subgroup."""
    out = {"": cg.usage()}
    for e in os.scandir(cg.path):
        if e.is_dir():
            out[e.name] = Cgroup(e.path).usage()
    return out


# ---------------------------------------------------------------- helpers

def count_files(path):
    n = 0
    try:
        with os.scandir(path) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    n += count_files(e.path)
                else:
                    n += 1
    except FileNotFoundError:
        pass
    return n


def queue_count(spool):
    return sum(count_files(os.path.join(spool, d))
               for d in ("incoming", "active", "deferred", "hold"))


def listening(port):
    """Whether a TCP socket listens on the port (without connecting to
    it: a probe connection would be a QMQP session of its own)."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                return True
    return False


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if listening(port):
            return
        time.sleep(0.05)
    raise RuntimeError("nothing listens on 127.0.0.1:%d" % port)


def proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def vm_hwm_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def pids_in_log(path):
    """Distinct process ids per program name in the log: how many
    processes of each program ran (those that logged anything)."""
    seen = {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = LOG_TAG.search(line)
                if m:
                    seen.setdefault(m.group(1), set()).add(m.group(2))
    except FileNotFoundError:
        pass
    return {k: len(v) for k, v in seen.items()}


def machine_busy():
    """(busy, total) CPU seconds of the whole machine so far."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    busy = sum(v[:8]) - idle
    return busy / hz, sum(v[:8]) / hz


def count_in_log(path, text):
    try:
        with open(path, errors="replace") as f:
            return sum(1 for line in f if text in line)
    except FileNotFoundError:
        return 0


# -------------------------------------------------------------- instances

class MTA:
    name = ""
    port = 0

    def __init__(self, cg):
        self.cg = cg

    def fresh_fs(self, image_mb):
        """With image_mb, put the queue on a new ext4 file system (no
        journal, like the root file system here) in a loop-mounted image
        file, so that every run starts from the same file system state;
        without, a plain directory."""
        umount(self.fs)
        img = self.fs + ".img"
        if os.path.exists(img):
            os.unlink(img)
        os.makedirs(self.fs, exist_ok=True)
        if image_mb:
            with open(img, "wb") as f:
                f.truncate(image_mb << 20)
            run(["mkfs.ext4", "-q", "-F", "-O", "^has_journal", img])
            run(["mount", "-o", "loop", img, self.fs])

    def master_pid(self):
        with open(os.path.join(self.spool, "pid", "master.pid")) as f:
            return int(f.read().split()[0])

    def wait_stopped(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.cg.pids():
                return
            time.sleep(0.05)
        for pid in self.cg.pids():
            log("%s: killing leftover process %d (%s)"
                % (self.name, pid, proc_comm(pid)))
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def queue_manager_pid(self):
        for pid in self.cg.pids():
            if proc_comm(pid) in ("qmgr", "oqmgr", "nqmgr"):
                return pid
        return None


class Postfix(MTA):
    name = "Postfix"
    port = PF_PORT

    def __init__(self, work, cg):
        super().__init__(cg)
        self.top = os.path.join(work, "postfix")
        self.etc = os.path.join(self.top, "etc")
        self.fs = os.path.join(self.top, "fs")
        self.spool = os.path.join(self.fs, "queue")
        self.data = os.path.join(self.top, "data")
        self.maillog = os.path.join(self.top, "maillog")
        self.wrap = os.path.join(self.top, "libexec")

    def postconf(self, *args):
        run(["postconf", "-c", self.etc] + list(args),
            stdout=subprocess.DEVNULL)

    def configure(self, sc):
        umount(self.fs)
        shutil.rmtree(self.top, ignore_errors=True)
        os.makedirs(self.etc)
        os.makedirs(self.data)
        shutil.chown(self.data, "postfix", "postfix")
        make_wrapdir(PF_SBIN, self.wrap, self.cg.path, CGWRAP_SRC)
        shutil.copy("/etc/postfix/master.cf", self.etc)
        if os.path.exists("/etc/postfix/dynamicmaps.cf"):
            shutil.copy("/etc/postfix/dynamicmaps.cf", self.etc)
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(main_cf_common(sc))
            f.write("queue_directory = %s\n" % self.spool)
            f.write("daemon_directory = %s\n" % self.wrap)
            f.write("data_directory = %s\n" % self.data)
            f.write("maillog_file = %s\n" % self.maillog)
            f.write("maillog_file_prefixes = %s\n" % self.top)
            f.write("mail_owner = postfix\nsetgid_group = postdrop\n")
            f.write("compatibility_level = 3.6\n")
            f.write("inet_protocols = ipv4\n")
            f.write("smtp_dns_support_level = disabled\n")
            f.write("smtp_host_lookup = native\n")
            f.write("smtp_tls_security_level = none\n")
            f.write("smtpd_tls_security_level = none\n")
            f.write("home_mailbox = Maildir/\n")
            f.write("alias_maps =\nalias_database =\n")
            f.write("biff = no\n")
        self.postconf("-M#", "smtp/inet")
        self.postconf("-F", "*/*/chroot = n")
        self.postconf("-Me", "127.0.0.1:%d/inet=127.0.0.1:%d inet n - n - - "
                      "qmqpd" % (self.port, self.port))
        if sc.qmgr is None:
            self.postconf("-M#", "qmgr/unix")
        elif sc.qmgr == "oqmgr":
            self.postconf("-F", "qmgr/unix/command = oqmgr")

    def reset(self):
        shutil.rmtree(self.spool, ignore_errors=True)
        if os.path.exists(self.maillog):
            os.unlink(self.maillog)
        os.makedirs(self.spool)
        run(["postfix", "-c", self.etc, "check"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def start(self):
        run(["postfix", "-c", self.etc, "start"],
            preexec_fn=self.cg.sub("master").enter,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        run(["postfix", "-c", self.etc, "stop"], check=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_stopped()


class Postern(MTA):
    name = "Postern"
    port = PN_PORT

    def __init__(self, work, prefix, cg):
        super().__init__(cg)
        self.prefix = prefix
        self.top = os.path.join(work, "postern")
        self.etc = os.path.join(self.top, "etc")
        self.fs = os.path.join(self.top, "fs")
        self.spool = os.path.join(self.fs, "spool")
        self.data = os.path.join(self.top, "data")
        self.maillog = os.path.join(self.top, "maillog")
        self.libexec = os.path.join(prefix, "libexec", "postern")
        self.cmd = os.path.join(prefix, "sbin", "postern")
        self.wrap = os.path.join(self.top, "libexec")

    def has(self, prog):
        return os.access(os.path.join(self.libexec, prog), os.X_OK)

    def configure(self, sc):
        umount(self.fs)
        shutil.rmtree(self.top, ignore_errors=True)
        os.makedirs(self.etc)
        os.makedirs(self.data)
        shutil.chown(self.data, "postfix", "postfix")
        make_wrapdir(self.libexec, self.wrap, self.cg.path, CGWRAP_SRC)
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(main_cf_common(sc))
            f.write("queue_directory = %s\n" % self.spool)
            f.write("daemon_directory = %s\n" % self.wrap)
            f.write("command_directory = %s\n" % os.path.dirname(self.cmd))
            f.write("data_directory = %s\n" % self.data)
            f.write("maillog_file = %s\n" % self.maillog)
            f.write("mail_owner = postfix\nsetgid_group = postdrop\n")
        # The repository's master.cf with the services whose program is
        # installed, the queue manager as the scenario wants it, and qmqpd.
        src = os.path.join(self.prefix, "etc", "postern", "master.cf")
        out = []
        with open(src) as f:
            for line in f:
                fields = line.split()
                if not fields or line.lstrip().startswith("#") or \
                        line[0].isspace():
                    out.append(line)
                    continue
                if fields[0] == "qmgr":
                    if sc.qmgr is None:
                        out.append("#" + line)
                        continue
                    fields[7] = sc.qmgr
                    line = "%-9s %-5s %-7s %-7s %-7s %-7s %-7s %s\n" % tuple(
                        fields[:7] + [" ".join(fields[7:])])
                out.append(line if self.has(fields[7]) else "#" + line)
        out.append("127.0.0.1:%d inet n - n - - qmqpd\n" % self.port)
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.writelines(out)

    def reset(self):
        shutil.rmtree(self.spool, ignore_errors=True)
        if os.path.exists(self.maillog):
            os.unlink(self.maillog)
        run([self.cmd, "-c", self.etc, "check"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def start(self):
        run([self.cmd, "-c", self.etc, "start"],
            preexec_fn=self.cg.sub("master").enter,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        run([self.cmd, "-c", self.etc, "stop"], check=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_stopped()


def main_cf_common(sc):
    """The reference main.cf deltas (benchmarks.md) both MTAs share."""
    s = ("myhostname = bench.localdomain\n"
         "mydomain = localdomain\n"
         "inet_interfaces = 127.0.0.1\n"
         "mynetworks = 127.0.0.0/8\n"
         "relayhost = [127.0.0.1]:%d\n"
         "qmqpd_authorized_clients = 127.0.0.0/8\n" % SINK_PORT)
    if sc.delivery == "discard":
        s += "default_transport = discard\n"
    if sc.qmgr is None:
        # No queue manager hands out in_flow_delay tokens: without this
        # cleanup makes every client wait 1 s per message.
        s += "in_flow_delay = 0s\n"
    return s


# -------------------------------------------------------------- scenarios

class Scenario:
    def __init__(self, name, title, qmgr, delivery, needs):
        self.name, self.title = name, title
        self.qmgr, self.delivery, self.needs = qmgr, delivery, needs


def make_scenario(name, postern, with_postern=True):
    """The scenario as it can run now, or a string saying why not."""
    if name == "I":
        return Scenario("I", "intake only: qmqp-source -> qmqpd -> cleanup "
                        "-> incoming/, no queue manager, in_flow_delay = 0s", None, None,
                        ["qmqpd", "cleanup"])
    if name == "S2":
        sc = Scenario("S2", "qmqp-source -> qmgr -> discard", "qmgr",
                      "discard", ["qmqpd", "cleanup", "qmgr", "discard",
                                  "trivial-rewrite"])
    elif name in ("S1", "S3"):
        qm = "qmgr" if name == "S1" else "oqmgr"
        sc = Scenario(name, "qmqp-source -> %s -> smtp -> smtp-sink" % qm,
                      qm, "smtp", ["qmqpd", "cleanup", qm, "smtp",
                                   "trivial-rewrite"])
        if name == "S3" and with_postern and not postern.has("smtp") and \
                postern.has("oqmgr"):
            # Stand-in until smtp lands: the same queue manager, discard.
            sc = Scenario("S3", "STAND-IN, not the spec's S3 (Postern has "
                          "no smtp yet): qmqp-source -> oqmgr -> discard",
                          "oqmgr", "discard",
                          ["qmqpd", "cleanup", "oqmgr", "discard",
                           "trivial-rewrite"])
    elif name.startswith("S4"):
        return "skipped: needs smtp (and the S4 delay statistics are " \
            "not implemented in this harness yet)"
    elif name == "S5":
        return "skipped: needs local (Maildir delivery)"
    else:
        return "unknown scenario"
    missing = [p for p in sc.needs if not postern.has(p)] \
        if with_postern else []
    if missing:
        if sc.qmgr and sc.qmgr in missing:
            return "skipped: Postern has no %s yet" % sc.qmgr
        return "skipped: needs %s" % ", ".join(missing)
    return sc


def start_sink(work):
    """smtp-sink on 127.0.0.1:2525, outside both cgroups (benchmarks.md:
    -u nobody -m 1024, backlog 1024); run.sh's trap kills it by the pid
    in WORK/sink.pid."""
    p = subprocess.Popen([SMTP_SINK, "-u", "nobody", "-m", "1024",
                          "127.0.0.1:%d" % SINK_PORT, "1024"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    with open(os.path.join(work, "sink.pid"), "w") as f:
        f.write("%d\n" % p.pid)
    wait_port(SINK_PORT)
    return p


def stop_sink(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


# ext4 without a journal (as on these machines) does not reuse an inode
# freed in the last 30 seconds: allocating one scans past every recently
# freed inode of the block group (recently_deleted()), which costs up
# to ~1 ms of kernel CPU per new file. Every run therefore starts at
# least SETTLE seconds after the last queue files were deleted.
last_delete = [0.0]
IMAGE = [False]


def settle(seconds):
    wait = last_delete[0] + seconds - time.monotonic()
    if wait > 0:
        log("  waiting %.0f s for deleted inodes to become reusable" % wait)
        time.sleep(wait)


def umount(path):
    if os.path.ismount(path):
        run(["umount", path])


def one_run(mta, sc, nmsg, timeout, settle_s, image_mb):
    mta.fresh_fs(image_mb)
    mta.reset()
    last_delete[0] = time.monotonic()
    run(["sync"])
    settle(settle_s)
    mta.start()
    time.sleep(0.5)             # let the master's first children settle
    cpu0 = usage_tree(mta.cg)
    sys0, user0 = mta.cg.system_share()
    busy0, all0 = machine_busy()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    src = run([QMQP_SOURCE, "-s", "10", "-l", "2048", "-m", str(nmsg),
               "-f", "sender@bench.test", "-t", "rcpt@sink.test",
               "127.0.0.1:%d" % mta.port], check=False,
              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    t1 = time.monotonic()
    ok = src.returncode == 0
    note = ""
    if sc.qmgr is None:
        t2 = t1
        n = count_files(os.path.join(mta.spool, "incoming"))
        if n != nmsg:
            ok = False
            note = "%d of %d messages in incoming/" % (n, nmsg)
    else:
        deadline = t1 + timeout
        while queue_count(mta.spool) > 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        t2 = time.monotonic()
        left = queue_count(mta.spool)
        if left:
            ok = False
            note = "%d messages still queued after %ds" % (left, timeout)
    cpu1 = usage_tree(mta.cg)
    sys1, user1 = mta.cg.system_share()
    busy1, all1 = machine_busy()
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (kids1.ru_utime + kids1.ru_stime) - \
        (kids0.ru_utime + kids0.ru_stime)
    # CPU of everything else on the machine meanwhile (other work, the
    # kernel's own threads, this script's polling): the noise indicator.
    other = (busy1 - busy0) - (cpu1[""] - cpu0[""]) - client
    other_share = other / max(1e-9, all1 - all0)
    qm = mta.queue_manager_pid()
    rss = vm_hwm_kb(qm) if qm else None
    mta.stop()
    last_delete[0] = time.monotonic()
    split = {k: v - cpu0.get(k, 0.0) for k, v in cpu1.items() if k}
    if sc.qmgr is not None:
        sent = count_in_log(mta.maillog, "status=sent")
        if sent != nmsg:
            note += " log shows %d status=sent of %d" % (sent, nmsg)
    procs = pids_in_log(mta.maillog)
    for k in ("postfix-script", "postsuper", "postfix", "postern"):
        procs.pop(k, None)
    if src.returncode != 0:
        note += " qmqp-source: %s" % src.stdout.strip()[-200:]
    return {"mta": mta.name, "scenario": sc.name, "messages": nmsg,
            "ok": ok, "note": note.strip(), "intake": t1 - t0,
            "e2e": t2 - t0, "cpu": cpu1[""] - cpu0[""],
            "qmgr_rss_kb": rss, "split": split, "processes": procs,
            "client_cpu": client, "other_share": other_share,
            "system_share": (sys1 - sys0) / max(1, (sys1 - sys0) +
                                                (user1 - user0))}


# ----------------------------------------------------------------- output

def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def fmt(v, prec):
    return "%.*f" % (prec, v)


def cell(xs, prec):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-", None
    m = median(xs)
    if len(xs) == 1:
        return fmt(m, prec), m
    return "%s (%s-%s)" % (fmt(m, prec), fmt(min(xs), prec),
                           fmt(max(xs), prec)), m


def table(sc, results, nmsg):
    pf = [r for r in results if r["mta"] == "Postfix"]
    pn = [r for r in results if r["mta"] == "Postern"]
    figures = [
        ("intake time s", lambda r: r["intake"], 2, "lower"),
        ("intake msg/s", lambda r: r["messages"] / r["intake"], 0, "higher"),
        ("end-to-end time s", lambda r: r["e2e"], 2, "lower"),
        ("end-to-end msg/s", lambda r: r["messages"] / r["e2e"], 0, "higher"),
        ("CPU s (all MTA processes)", lambda r: r["cpu"], 2, "lower"),
        ("CPU ms/msg", lambda r: 1000 * r["cpu"] / r["messages"], 3, "lower"),
        ("  of which kernel %", lambda r: 100 * r["system_share"], 0,
         "lower"),
        ("qmqp-source CPU ms/msg", lambda r: 1000 * r["client_cpu"] /
         r["messages"], 3, "lower"),
        ("other CPU on the machine %", lambda r: 100 * r["other_share"], 0,
         "lower"),
        ("queue manager peak RSS MB", lambda r: r["qmgr_rss_kb"] / 1024
         if r["qmgr_rss_kb"] else None, 1, "lower"),
    ]
    rows = [("figure", "Postfix 3.7 median (min-max)",
             "Postern median (min-max)", "Postern/Postfix")]
    for label, fn, prec, _ in figures:
        a, am = cell([fn(r) for r in pf], prec)
        b, bm = cell([fn(r) for r in pn], prec)
        ratio = "%.2f" % (bm / am) if am and bm is not None else "-"
        rows.append((label, a, b, ratio))
    # Per-program CPU split (process accounting), ms per message.
    names = sorted({k for r in results for k in r["split"]},
                   key=lambda k: -max([r["split"].get(k, 0) for r in pf] +
                                      [r["split"].get(k, 0) for r in pn]))
    for k in names:
        a, am = cell([1000 * r["split"].get(k, 0) / r["messages"]
                      for r in pf if r["split"]], 3)
        b, bm = cell([1000 * r["split"].get(k, 0) / r["messages"]
                      for r in pn if r["split"]], 3)
        if not am and not bm:
            continue
        ratio = "%.2f" % (bm / am) if am and bm is not None else "-"
        rows.append(("  CPU ms/msg: " + k, a, b, ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = ["%s: %s, %d messages, %d run(s) each%s" % (
        sc.name, sc.title, nmsg, max(len(pf), len(pn)),
        ", queue on a fresh ext4 image per run" if IMAGE[0] else "")]
    for i, r in enumerate(rows):
        out.append("| " + " | ".join(r[j].ljust(widths[j]) if j == 0 else
                                     r[j].rjust(widths[j])
                                     for j in range(4)) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for mta, rs in (("Postfix", pf), ("Postern", pn)):
        if not rs:
            continue
        names = sorted({k for r in rs for k in r.get("processes", {})})
        out.append("  %s processes that logged (median): %s" % (mta, ", ".join(
            "%s %d" % (k, median([r["processes"].get(k, 0) for r in rs]))
            for k in names)))
    bad = [r for r in results if not r["ok"] or r["note"]]
    for r in bad:
        out.append("  %s run %s: %s" % (r["mta"], "FAILED" if not r["ok"]
                                        else "note", r["note"]))
    out.append("  (CPU: cgroup counters from the start of injection until "
               "the queue is empty; per-program rows: one cgroup per "
               "program)")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--postern", required=True)
    ap.add_argument("--cg-postfix", required=True)
    ap.add_argument("--cg-postern", required=True)
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("-s", default="I,S1,S2,S3,S4a,S4b,S4c,S5")
    ap.add_argument("-m", type=int, default=10000)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--json")
    ap.add_argument("--fs", choices=("root", "image"), default="root")
    ap.add_argument("--image-mb", type=int, default=2048)
    ap.add_argument("--settle", type=float, default=0)
    ap.add_argument("--mta", choices=("both", "postfix", "postern"),
                    default="both")
    a = ap.parse_args()

    IMAGE[0] = a.fs == "image"
    pf = Postfix(a.work, Cgroup(a.cg_postfix))
    pn = Postern(a.work, a.postern, Cgroup(a.cg_postern))
    jf = open(a.json, "a") if a.json else None
    for name in a.s.split(","):
        name = name.strip()
        sc = make_scenario(name, pn, a.mta != "postfix")
        if isinstance(sc, str):
            print("%s: %s\n" % (name, sc), flush=True)
            continue
        mtas = [m for m in (pf, pn) if a.mta in ("both", m.name.lower())]
        for mta in mtas:
            mta.configure(sc)
        sink = start_sink(a.work) if sc.delivery == "smtp" else None
        results = []
        for i in range(a.n):
            for mta in mtas if i % 2 == 0 else mtas[::-1]:
                log("%s run %d/%d: %s, %d messages" % (sc.name, i + 1, a.n,
                                                        mta.name, a.m))
                r = one_run(mta, sc, a.m, a.timeout, a.settle,
                            a.image_mb if a.fs == "image" else 0)
                log("  intake %.2fs e2e %.2fs cpu %.2fs %s" % (
                    r["intake"], r["e2e"], r["cpu"],
                    "ok" if r["ok"] else "FAILED " + r["note"]))
                results.append(r)
                if jf:
                    jf.write(json.dumps(r) + "\n")
                    jf.flush()
        if sink:
            stop_sink(sink)
        for mta in mtas:
            umount(mta.fs)
        print(table(sc, results, a.m) + "\n", flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
