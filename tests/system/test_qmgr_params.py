#!/usr/bin/env python3
"""test_qmgr_params - every parameter of the queue manager seeds is known,
documented with its default, and read by the queue managers.

The seed documents (the oqmgr(8) and qmgr(8) manual pages Postern was
started from; $POSTERN_SEEDS, default /work/shared/seeds) list their
parameters in the CONFIGURATION PARAMETERS section as names indented
like the text, each with its default in parentheses (which may wrap to
the next line, hyphenated), e.g.

       qmgr_clog_warn_time (300s)
       transport_destination_concurrency_limit   ($default_destination_concur-
       rency_limit)

A name "transport_X" is a per-transport family (the first field of a
master.cf entry replaces "transport") when the seed also lists
default_X or X, or gives "$..." or no default at all: its entry in our
man page is "transport_X" too (usually \\fItransport\\fB_X).

Which seed describes which program is read from its NAME section
("oqmgr - ..." or "qmgr - ..."). For each parameter of a program's
seed, the checks are:
 (a) the program's man page (man/qmgr.8, man/oqmgr.8) has an entry
     (a .TP header) for it whose default in parentheses is what
     `postern conf -d NAME` prints ("empty" for an empty value), or, for
     a default computed at build or run time (COMPUTED), says so
     ("read-only", or "see postern conf -d");
 (b) `postern conf -d NAME` knows it (prints "NAME = ...", run with -c
     a directory holding an empty main.cf);
 (c) queue-manager code reads it: the name (for a family, "_X"; for the
     default_X of a family, "default_X" or "_X") appears as a string
     literal in qcore/*.c, qmgr/*.c or oqmgr/*.c, or, for what every
     daemon gets from the server skeleton and logging (INFRASTRUCTURE),
     in util/*.c outside the parameter table. A parameter found only in
     util/param_table.c fails unless it is in NOT_APPLICABLE (a feature
     Postern lacks; the man page must say so) or KNOWN_GAPS (documented
     but not yet read; printed on every run).

Without the seed documents (a distribution tarball) the tests skip.
"""
import os
import re
import subprocess
import tempfile

from harness import Skip, program, run_tests

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SEEDS = os.environ.get("POSTERN_SEEDS", "/work/shared/seeds")

# The seeds the issue names: 000 (oqmgr(8)) and 001 (qmgr(8)).
SEED_PREFIXES = ("000_", "001_")

# Defaults computed at build or run time: the man page may say
# "(read-only)" or "(see postern conf -d)" instead of a value.
COMPUTED = {
    "config_directory",  # the configure prefix
    "queue_directory",  # the configure prefix
    "process_id",  # getpid()
    "process_name",  # the program's name
    "service_name",  # the master.cf service name
}

# Read for every daemon by the shared skeleton (util/server.c) and the
# logging (util/msg.c), not by queue-manager code itself.
INFRASTRUCTURE = {
    "config_directory", "queue_directory", "daemon_timeout", "ipc_timeout",
    "syslog_facility", "syslog_name", "process_id", "process_name",
    "service_name", "info_log_address_format",
}

# Not read as settings but provided: the directory main.cf is read from
# (-c or $MAIL_CONFIG, else the compiled-in one), and the read-only
# values the parameter table computes for the running process (getpid(),
# its program name, the master.cf service name given with -n).
PROVIDED = {"config_directory", "process_id", "process_name", "service_name"}

# Parameters for features Postern lacks: accepted (the table has them),
# documented as not applying, never read. The man page entry must say so
# (one of the words in NOT_APPLICABLE_WORDS).
NOT_APPLICABLE = {
    # There are no address verification probes (no verify service).
    "address_verify_pending_request_limit",
}
NOT_APPLICABLE_WORDS = ("not implemented", "not used", "no effect",
                        "does not apply", "ignored")

# Documented, not yet read by the queue managers: a gap to close, not a
# feature that is missing. The man page must say it is not used.
KNOWN_GAPS = set()  # none left: qmgr_daemon_timeout now sets the watchdog

NAME_RE = re.compile(r"^ {7}([a-z][a-z0-9_]*)(?:\s+\((.*))?\s*$")


def seed_files():
    if not os.path.isdir(SEEDS):
        raise Skip("no seed documents in %s" % SEEDS)
    found = sorted(f for f in os.listdir(SEEDS) if f.startswith(SEED_PREFIXES))
    if len(found) != len(SEED_PREFIXES):
        raise Skip("seed documents 000/001 not found in %s" % SEEDS)
    return [os.path.join(SEEDS, f) for f in found]


def seed_program(text):
    """The program a seed describes, from its NAME section."""
    m = re.search(r"^NAME\s*\n\s*(\w+)\s+-", text, re.M)
    assert m, "no NAME section"
    return m.group(1)


def seed_params(text):
    """[(name, seed default or None, family suffix or None)] in order."""
    m = re.search(r"^CONFIGURATION PARAMETERS\s*$(.*?)^(FILES|SEE ALSO)\s*$",
                  text, re.M | re.S)
    assert m, "no CONFIGURATION PARAMETERS section"
    lines = m.group(1).splitlines()
    params = []
    i = 0
    while i < len(lines):
        mm = NAME_RE.match(lines[i])
        i += 1
        if not mm:
            continue
        name, default = mm.group(1), mm.group(2)
        if default is not None:
            # A default may wrap: "($default_destination_concur-" + "rency_limit)".
            while ")" not in default and i < len(lines):
                nxt = lines[i].strip()
                i += 1
                default = (default[:-1] if default.endswith("-") else
                           default + " ") + nxt
            default = default[:default.rindex(")")].strip()
        params.append([name, default])
    names = {n for n, _ in params}
    result = []
    for name, default in params:
        family = None
        if name.startswith("transport_"):
            rest = name[len("transport_"):]
            if ("default_" + rest in names or rest in names or
                    default is None or default.startswith("$")):
                family = "_" + rest
        result.append((name, default, family))
    return result


def seeds_by_program():
    progs = {}
    for path in seed_files():
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        progs.setdefault(seed_program(text), []).extend(seed_params(text))
    assert set(progs) == {"qmgr", "oqmgr"}, sorted(progs)
    return progs


# --- the man pages

def troff_text(line):
    """A macro line as plain text: fonts and quotes gone, alternating
    font macros (.IB, .BI, .BR, ...) joined."""
    mac = re.match(r"^\.([A-Z]{1,2})\s*(.*)$", line)
    body = mac.group(2) if mac else line
    body = (body.replace("\\(lq", "\u201c").replace("\\(rq", "\u201d")
            .replace("\\-", "-").replace("\\&", ""))
    body = re.sub(r"\\f(\(..|\[[^]]*\]|.)", "", body)
    args = [m.group(1) if m.group(1) is not None else m.group(2)
            for m in re.finditer(r'"([^"]*)"|(\S+)', body)]
    if mac and len(mac.group(1)) == 2 and mac.group(1)[0] in "BIR":
        return "".join(args)
    return " ".join(args)


def man_entries(path):
    """{name: (default text or None, description text)} from .TP headers."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    entries = {}
    for i, line in enumerate(lines):
        if line.strip() != ".TP" or i + 1 >= len(lines):
            continue
        head = troff_text(lines[i + 1])
        m = re.match(r"^([a-z][a-z0-9_]*)(?:\s*\((.*)\))?\s*$", head)
        if not m:
            continue
        desc = []
        for nxt in lines[i + 2:]:
            if nxt.startswith((".TP", ".SS", ".SH")):
                break
            desc.append(troff_text(nxt))
        entries[m.group(1)] = (m.group(2), " ".join(desc))
    return entries


# --- postern conf -d

_conf_cache = {}


def conf_default(name):
    """What `postern conf -d NAME` prints as the value, or None."""
    if name not in _conf_cache:
        with tempfile.TemporaryDirectory(prefix="postern-qparams.") as etc:
            with open(os.path.join(etc, "main.cf"), "w"):
                pass
            out = subprocess.run([program("postern"), "-c", etc, "conf",
                                  "-d", name], capture_output=True,
                                 text=True, timeout=10).stdout
        value = None
        for line in out.splitlines():
            if line.startswith(name + " ="):
                value = line[len(name) + 2:].strip()
        _conf_cache[name] = value
    return _conf_cache[name]


# --- the code

def code_literals(patterns):
    """The set of C string literals in the files (comments removed)."""
    lits = set()
    for pat in patterns:
        d, ext = os.path.split(pat)
        for f in sorted(os.listdir(os.path.join(SRC, d))):
            if not f.endswith(ext.lstrip("*")):
                continue
            with open(os.path.join(SRC, d, f), encoding="utf-8",
                      errors="replace") as fh:
                text = fh.read()
            text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
            text = re.sub(r"//[^\n]*", " ", text)
            lits |= {"%s/%s" % (d, f) + "\0" + s
                     for s in re.findall(r'"((?:[^"\\\n]|\\.)*)"', text)}
    return lits


def literal_in(lits, strings, exclude=()):
    return sorted({x.split("\0")[0] for x in lits
                   if x.split("\0")[1] in strings and
                   x.split("\0")[0] not in exclude})


_literals = {}


def qm_literals():
    if not _literals:
        _literals["qm"] = code_literals(["qcore/*.c", "qmgr/*.c", "oqmgr/*.c"])
        _literals["util"] = code_literals(["util/*.c"])
    return _literals["qm"], _literals["util"]


def readers(name, family, families):
    """(queue-manager files, util files) with a literal naming it."""
    if family:
        wanted = {family}
    else:
        wanted = {name}
        # default_X of a family read through "_X" plus its default.
        for fam in families:
            if name in ("default" + fam, fam[1:]):
                wanted.add(fam)
    qm, util = qm_literals()
    return (literal_in(qm, wanted),
            literal_in(util, wanted, exclude=("util/param_table.c",)))


# --- the checks

def audit(prog):
    """[(name, problems)] for one program's seed parameters."""
    params = seeds_by_program()[prog]
    families = {fam for _, _, fam in params if fam}
    entries = man_entries(os.path.join(SRC, "man", prog + ".8"))
    rows = []
    seen = set()
    for name, seed_default, family in params:
        if name in seen:
            continue
        seen.add(name)
        problems = []
        value = conf_default(name)
        if value is None:
            problems.append("unknown to postern conf -d")
        entry = entries.get(name)
        if entry is None:
            problems.append("no entry in man/%s.8" % prog)
        else:
            man_default, desc = entry
            if man_default is None:
                problems.append("man/%s.8 gives no default" % prog)
            elif name in COMPUTED:
                if not (man_default == "read-only" or
                        "postern conf -d" in man_default or
                        man_default == value):
                    problems.append("man default %r: want read-only or "
                                    "see postern conf -d" % man_default)
            elif value is not None:
                want = "empty" if value == "" else value
                if man_default != want:
                    problems.append("man default %r, postern conf -d %r"
                                    % (man_default, want))
            if name in NOT_APPLICABLE | KNOWN_GAPS and not any(
                    w in desc.lower() for w in NOT_APPLICABLE_WORDS):
                problems.append("man/%s.8 does not say it is not used" % prog)
        qm, util = readers(name, family, families)
        if name in NOT_APPLICABLE | KNOWN_GAPS:
            if qm:
                problems.append("listed as not read, but read in %s"
                                % ", ".join(qm))
        elif not qm and name not in PROVIDED and not (name in INFRASTRUCTURE
                                                      and util):
            problems.append("not read by queue-manager code")
        rows.append((name, problems))
    return rows


def check(prog):
    rows = audit(prog)
    bad = ["%s: %s" % (n, "; ".join(p)) for n, p in rows if p]
    gaps = sorted(n for n, _ in rows if n in KNOWN_GAPS)
    if gaps:
        print("%s: known gaps (documented, not read): %s"
              % (prog, ", ".join(gaps)))
    assert not bad, "%s:\n  %s" % (prog, "\n  ".join(bad))


def test_extractor():
    """The extractor finds what the seeds list (spot checks)."""
    progs = seeds_by_program()
    q = {n: (d, f) for n, d, f in progs["qmgr"]}
    o = {n: (d, f) for n, d, f in progs["oqmgr"]}
    assert q["qmgr_clog_warn_time"] == ("300s", None)
    assert q["transport_destination_concurrency_limit"] == (
        "$default_destination_concurrency_limit",
        "_destination_concurrency_limit")
    assert q["transport_retry_time"] == ("60s", None)
    assert q["transport_transport_rate_delay"][1] == "_transport_rate_delay"
    assert q["transport_initial_destination_concurrency"][1] == (
        "_initial_destination_concurrency")
    assert q["info_log_address_format"] == ("external", None)
    assert o["transport_destination_recipient_limit"] == (
        None, "_destination_recipient_limit")
    assert o["qmgr_fudge_factor"] == ("100", None)
    assert o["bounce_queue_lifetime"] == ("5d", None)
    assert "process_name" in o and "syslog_name" in o
    assert len(q) >= 60 and len(o) >= 25, (len(q), len(o))
    # Man page parsing: both styles of entry.
    e = man_entries(os.path.join(SRC, "man", "qmgr.8"))
    assert e["transport_delivery_slot_cost"][0] == "$default_delivery_slot_cost"
    e = man_entries(os.path.join(SRC, "man", "oqmgr.8"))
    assert e["qmgr_fudge_factor"][0] == "100"


def test_qmgr_params():
    check("qmgr")


def test_oqmgr_params():
    check("oqmgr")


if __name__ == "__main__":
    if os.environ.get("QMGR_PARAMS_TABLE"):
        # Print the audit table (for reports): program, name, problems.
        for p in ("qmgr", "oqmgr"):
            params = seeds_by_program()[p]
            fams = {fam for _, _, fam in params if fam}
            info = {n: (d, f) for n, d, f in params}
            for n, probs in audit(p):
                qm, util = readers(n, info[n][1], fams)
                kind = ("n/a" if n in NOT_APPLICABLE else
                        "GAP" if n in KNOWN_GAPS else
                        "provided" if n in PROVIDED and not qm else
                        "util" if not qm else "qm")
                print("%s\t%s\tseed=%s\tconf=%s\t%s\t%s\t%s" % (
                    p, n, info[n][0], conf_default(n), kind,
                    ",".join(qm or util), "; ".join(probs) or "ok"))
    else:
        run_tests(globals())
