#!/usr/bin/env python3
"""bench.py - `make bench`: every metric of issue 12, each against references measured
alternately in the same run (tests/bench/README.md):

  tuntcp   the stack's shipped apps over TUN (the candidate)
  ceiling  tests/bench/refpeer.c over TUN: a zero-cost TCP peer, the best any userspace
           stack over TUN can do on this machine
  linux    Linux to Linux over a veth pair, each end in a namespace of its own

Every run gets fresh network namespaces (`ip netns add`, deleted afterwards, also on
failure or Ctrl-C); traffic goes only to 10.0.0.1 (the kernel side) and 10.0.0.2 (the
stack, or the veth peer). The stack (or refpeer, or the veth server) runs on CPU 1, the
kernel-side program on CPU 0, except for "all on one CPU" (both on CPU 1).
Repetitions are interleaved: pair i runs tuntcp, ceiling, linux (odd pairs in reverse
order), and the ratio is taken within each pair. No assertion on any number.

Writes build/bench/results.txt, results.json and results.tsv."""
import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--build", default="build", help="the build directory (the Makefile's B)")
ap.add_argument("--quick", action="store_true", help="fewer pairs, shorter runs (under a minute)")
ap.add_argument("--pairs", type=int, help="interleaved repetitions (default 7, --quick 2)")
ap.add_argument("--tcp-cc", help="the congestion control of every kernel-side socket (default: "
                "the kernel's default, reported)")
ap.add_argument("--only", help="comma-separated metric keys (see --list)")
ap.add_argument("--list", action="store_true", help="list the metric keys and exit")
args = ap.parse_args()

B = args.build
OUT = os.path.join(B, "bench")
LOGS = os.path.join(OUT, "logs")
Q = args.quick
PAIRS = args.pairs or (2 if Q else 7)
NSP = "tuntcp-bench-%d" % os.getpid()
KERNEL, STACK = "10.0.0.1", "10.0.0.2"

# sizes: long enough to be measured, short enough for ~10 min (full) / 1 min (quick)
BULK_SECS = 0.3 if Q else 1.0
SOURCE_BYTES = {"tuntcp": "32M" if Q else "128M", "ceiling": "64M" if Q else "384M"}
PP_N, PP_WARM = (3000, 300) if Q else (20000, 1000)
CONN_SECS = 0.3 if Q else 1.0
IDLE_N = 200 if Q else 1000
CONC_MAX = 1500 if Q else 12000
CORE_BYTES, CORE_REPS = ("16M", 2) if Q else ("128M", 7)
CORE_CG_BYTES = "2M" if Q else "8M"


class RunError(Exception):
    pass


# ---------------------------------------------------------------- processes, namespaces

namespaces = []
procs = []
proc_count = 0


class Proc:
    """A program in a namespace, pinned. Its stdout goes to a file (a pipe nobody reads
    would fill and stop a server that prints a line per connection), read back line by
    line with a timeout."""

    def __init__(self, ns, cpu, argv, stdin=False, name=None):
        global proc_count
        proc_count += 1
        self.name = name or os.path.basename(argv[0])
        base = os.path.join(LOGS, "%s.%d" % (self.name, proc_count % 8))
        self.errpath, self.outpath = base + ".stderr", base + ".stdout"
        self.err = open(self.errpath, "w")
        self.out = open(self.outpath, "w")
        self.rd = open(self.outpath, "rb")
        cmd = (["ip", "netns", "exec", ns] if ns else []) + ["taskset", "-c", str(cpu)] + argv
        # ip netns exec and taskset exec() the program: self.p.pid is the program's own
        self.p = subprocess.Popen(cmd, stdout=self.out, stderr=self.err,
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        procs.append(self)
        self.buf = b""
        self.lines = []

    def readline(self, timeout):
        end = time.monotonic() + timeout
        while True:
            if b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                s = line.decode(errors="replace")
                self.lines.append(s)
                return s
            chunk = self.rd.read(65536)
            if chunk:
                self.buf += chunk
                continue
            if self.p.poll() is not None:
                chunk = self.rd.read(65536)
                if chunk:
                    self.buf += chunk
                    continue
                raise RunError("%s: exited (status %s) before its output%s" %
                               (self.name, self.p.returncode, self.tail()))
            if time.monotonic() > end:
                raise RunError("%s: no output within %.0f s%s" % (self.name, timeout, self.tail()))
            time.sleep(0.005)

    def expect(self, pattern, timeout):
        end = time.monotonic() + timeout
        while True:
            line = self.readline(max(0.01, end - time.monotonic()))
            if re.search(pattern, line):
                return line

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def tail(self):
        self.err.flush()
        try:
            with open(self.errpath) as f:
                t = f.read().strip().splitlines()[-3:]
        except OSError:
            t = []
        return (": " + " | ".join(t)) if t else ""

    def stop(self):
        if self.p.poll() is None:
            try:
                self.p.send_signal(signal.SIGTERM)
                self.p.wait(2)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        if self in procs:
            procs.remove(self)
        for f in (self.err, self.out, self.rd):
            f.close()


def sh(*cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        raise RunError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


ns_count = 0


def ns_new(tag):
    global ns_count
    ns_count += 1
    name = "%s-%d-%s" % (NSP, ns_count, tag)
    sh("ip", "netns", "add", name)
    namespaces.append(name)
    sh("ip", "-n", name, "link", "set", "lo", "up")
    sh("ip", "netns", "exec", name, "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65535")
    return name


def ns_del(name):
    if name in namespaces:
        namespaces.remove(name)
        subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL)


def veth_link(k, s):
    """Join namespaces k (the kernel side, 10.0.0.1) and s (the 'stack' side, 10.0.0.2)
    by a veth pair."""
    sh("ip", "link", "add", "vk", "netns", k, "type", "veth", "peer", "name", "vs", "netns", s)
    sh("ip", "-n", k, "addr", "add", KERNEL + "/24", "dev", "vk")
    sh("ip", "-n", s, "addr", "add", STACK + "/24", "dev", "vs")
    sh("ip", "-n", k, "link", "set", "vk", "up")
    sh("ip", "-n", s, "link", "set", "vs", "up")


def cleanup():
    for p in list(procs):
        try:
            p.stop()
        except Exception:
            pass
    for n in list(namespaces):
        ns_del(n)


def on_signal(sig, frame):
    raise KeyboardInterrupt


# ---------------------------------------------------------------- the programs

def app(name):
    return os.path.join(B, name)


def tool(name):
    return os.path.join(OUT, name)


def stack_app(name, *opts, log=None):
    return [app(name), "--log", os.path.join(LOGS, log or name + ".log")] + list(opts)


def kv(line):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", line)}


class Run:
    """One run: its namespaces and processes, all gone when it ends."""

    def __enter__(self):
        self.ns = []
        self.procs = []
        return self

    def netns(self, tag):
        n = ns_new(tag)
        self.ns.append(n)
        return n

    def veth(self):
        k, s = self.netns("k"), self.netns("s")
        veth_link(k, s)
        return k, s

    def start(self, ns, cpu, argv, **kw):
        p = Proc(ns, cpu, argv, **kw)
        self.procs.append(p)
        return p

    def __exit__(self, *exc):
        for p in self.procs:
            p.stop()
        for n in self.ns:
            ns_del(n)
        return False


def server_client(server, client, timeout, server_cpu=1, client_cpu=0, ready=r"listening",
                  server_line=None):
    """A server on the stack's side (TUN: its own namespace; veth: 10.0.0.2), a kernel
    client; returns (the client's result line as a dict, the server's line that matches
    server_line, or None)."""
    kind, sargv = server
    with Run() as r:
        if kind == "linux":
            k, s = r.veth()
        else:
            k = s = r.netns("tun")
        srv = r.start(s, server_cpu, sargv)
        srv.expect(ready, 10)
        cli = r.start(k, client_cpu, client)
        res = kv(cli.readline(timeout))
        line = None
        if server_line:
            try:
                line = srv.expect(server_line, 2)
            except RunError:
                pass
        return res, line


# ---------------------------------------------------------------- the metrics

def bulk_in(cand, *stack_opts):
    srv = {"tuntcp": ("tun", stack_app("sink", "--no-hash", *stack_opts, log="bulk_in.log")),
           "ceiling": ("tun", [tool("refpeer"), "sink"]),
           "linux": ("linux", [tool("kb"), "recv", "9000"])}[cand]
    res, line = server_client(srv, [tool("kb"), "send", STACK, "9000", str(BULK_SECS)],
                              BULK_SECS + 30, server_line=r"received")
    extra = {}
    m = re.search(r"\(([\d.]+) Mbit/s\)", line or "")
    if m:
        extra["own figure, Gbit/s"] = float(m.group(1)) / 1000
    return res["gbps"], extra


def bulk_out(cand, *stack_opts):
    with Run() as r:
        if cand == "linux":
            k, s = r.veth()
        else:
            k = s = r.netns("tun")
        recv = r.start(k, 0, [tool("kb"), "recv", "9000"])
        recv.expect("listening", 10)
        if cand == "tuntcp":
            src = stack_app("source", "--msl", "1", "--no-hash", "--rcvbuf", "1M", *stack_opts,
                            "--bytes", SOURCE_BYTES["tuntcp"], KERNEL, log="bulk_out.log")
        elif cand == "ceiling":
            src = [tool("refpeer"), "source", "--wscale", "7", "--bytes", SOURCE_BYTES["ceiling"]]
        else:
            src = [tool("kb"), "send", KERNEL, "9000", str(BULK_SECS)]
        r.start(s, 1, src)
        res = kv(recv.readline(120))
        return res["gbps"], {}


# Issue 13: 20 MB through 5% random loss in both directions (nftables `numgen random`
# on the link's kernel end), the stack against Linux <-> Linux over veth, the kernel's
# sockets with CUBIC (BBR, this kernel's default, ignores random loss). Mbit/s, and the
# SHA-256 of both ends must agree. The kernel's senders make one segment per packet
# (gso_max_segs 1): nftables sees packets before GSO splits them, and 5% of 64 KB GSO
# packets is not 5% of segments.
LOSS_PCT, LOSS_BYTES = 5, 20 * 1024 * 1024


def lossy_rules(ns, dev):
    rules = ("table inet benchloss {\n"
             " chain in { type filter hook input priority 0; iifname \"%s\" numgen random mod 100 < %d drop; }\n"
             " chain out { type filter hook output priority 0; oifname \"%s\" numgen random mod 100 < %d drop; }\n"
             "}\n") % (dev, LOSS_PCT, dev, LOSS_PCT)
    r = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode:
        raise RunError("nft: " + r.stderr.strip())


def sha_of(line):
    m = re.search(r"sha256[ =]([0-9a-f]{64})", line or "")
    return m.group(1) if m else None


@contextlib.contextmanager
def kernel_cc(name):
    """Every kb socket started inside uses congestion control `name` ($KB_TCP_CC)."""
    saved = os.environ.get("KB_TCP_CC")
    os.environ["KB_TCP_CC"] = name
    try:
        yield
    finally:
        if saved is None:
            del os.environ["KB_TCP_CC"]
        else:
            os.environ["KB_TCP_CC"] = saved


def lossy(cand, direction):
    with kernel_cc("cubic"):
        with Run() as r:
            if cand == "linux":
                k, s = r.veth()
                lossy_rules(k, "vk")
                sh("ip", "-n", k, "link", "set", "vk", "gso_max_segs", "1")
                sh("ip", "-n", s, "link", "set", "vs", "gso_max_segs", "1")
            else:
                k = s = r.netns("tun")
                lossy_rules(k, "tun0")
            opts = ("--msl", "1", "--rcvbuf", "1M")
            if direction == "in":
                if cand == "linux":
                    srv = r.start(s, 1, [tool("kb"), "recvn", "9000"])
                    srv.expect("listening", 10)
                else:
                    srv = r.start(s, 1, stack_app("sink", *opts, log="loss_in.log"))
                    srv.expect("listening", 10)
                    sh("ip", "-n", k, "link", "set", "tun0", "gso_max_segs", "1")
                cli = r.start(k, 0, [tool("kb"), "sendn", STACK, "9000", str(LOSS_BYTES)])
                res = cli.readline(180)
                got = srv.expect(r"sha256[ =]", 5)
            else:
                recv = r.start(k, 0, [tool("kb"), "recvn", "9000"])
                recv.expect("listening", 10)
                if cand == "linux":
                    snd = r.start(s, 1, [tool("kb"), "sendn", KERNEL, "9000", str(LOSS_BYTES)])
                else:
                    snd = r.start(s, 1, stack_app("source", *opts, "--bytes", str(LOSS_BYTES),
                                                  KERNEL, log="loss_out.log"))
                res = recv.readline(180)
                got = snd.expect(r"sha256[ =]", 30)
            if not sha_of(res) or sha_of(res) != sha_of(got):
                raise RunError("the two ends disagree: %s | %s" % (res, got))
            return kv(res)["mbps"] / 1000, {}


# Issue 13: the stack's own impairments, 1% loss and 20 ms delay each way (a 40 ms RTT):
# the stack sending to the kernel ("tuntcp") against the kernel (CUBIC) sending to the
# stack ("linux") over the same impaired link, SHA-256 checked.
DELAY_BYTES = 4 * 1024 * 1024 if Q else 10 * 1024 * 1024


def delayed(cand):
    impair = ("--loss", "1%", "--delay", "20ms", "--rcvbuf", "4M", "--msl", "1")
    with kernel_cc("cubic"):
        with Run() as r:
            ns = r.netns("tun")
            if cand == "linux":
                srv = r.start(ns, 1, stack_app("sink", *impair, log="delay_in.log"))
                srv.expect("listening", 10)
                cli = r.start(ns, 0, [tool("kb"), "sendn", STACK, "9000", str(DELAY_BYTES)])
                res = cli.readline(300)
                got = srv.expect(r"sha256[ =]", 5)
            else:
                recv = r.start(ns, 0, [tool("kb"), "recvn", "9000"])
                recv.expect("listening", 10)
                snd = r.start(ns, 1, stack_app("source", *impair, "--bytes", str(DELAY_BYTES),
                                               KERNEL, log="delay_out.log"))
                res = recv.readline(300)
                got = snd.expect(r"sha256[ =]", 30)
            if not sha_of(res) or sha_of(res) != sha_of(got):
                raise RunError("the two ends disagree: %s | %s" % (res, got))
            return kv(res)["mbps"], {}


def pingpong(cand, client_cpu, mode=("--events",)):
    srv = {"tuntcp": ("tun", stack_app("echo-server", *mode, log="pingpong.log")),
           "ceiling": ("tun", [tool("refpeer"), "echo"]),
           "linux": ("linux", [tool("kb"), "echo", "7"])}[cand]
    res, _ = server_client(srv, [tool("kb"), "pingpong", STACK, "7", str(PP_N), str(PP_WARM)], 120,
                           client_cpu=client_cpu)
    return res, {"p99": res["p99"], "mean": res["mean"]}


def connrate(cand, app="echo-server"):
    if app == "echo-server":     # waits for the client's FIN: the client always closes first
        stack = stack_app("echo-server", "--port", "1234", "--events", log="connrate.log")
    else:                        # answers, then closes after --linger ms: races the client
        stack = stack_app("pingpong-server", "--linger", "0", log="connrate_pp.log")
    srv = {"tuntcp": ("tun", stack),
           "ceiling": ("tun", [tool("refpeer"), "echo", "--port", "1234"]),
           "linux": ("linux", [tool("kb"), "echo", "1234"])}[cand]
    res, _ = server_client(srv, [tool("kb"), "connrate", STACK, "1234", str(CONN_SECS)], CONN_SECS + 60)
    return res["rate"], {"conns": res["conns"], "failed": res["failed"],
                         "slowest_ms": res["slowest_ms"]}


# Through the preload library (issue 9): the same kernel-side client against a plain
# sockets program (kb) on the stack under tuntcp-run, or the native app.
def through_library(cand, native, plain, log):
    if cand == "tuntcp":
        return stack_app(*native, log=log)
    return [app("tuntcp-run"), "--log", os.path.join(LOGS, "library-" + log), "--"] + plain


def lib_bulk_in(cand):
    srv = ("tun", through_library(cand, ("sink", "--no-hash"), [tool("kb"), "recv", "9000"],
                                  "bulk_in.log"))
    res, _ = server_client(srv, [tool("kb"), "send", STACK, "9000", str(BULK_SECS)], BULK_SECS + 30)
    return res["gbps"], {}


def lib_pingpong(cand):
    srv = ("tun", through_library(cand, ("echo-server",), [tool("kb"), "echo", "7"], "pingpong.log"))
    res, _ = server_client(srv, [tool("kb"), "pingpong", STACK, "7", str(PP_N), str(PP_WARM)], 120,
                           client_cpu=0)
    return res["p50"], {}


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


SOCKET_CACHES = ("TCP", "sock_inode_cache", "filp", "dentry", "eventpoll_epi", "eventpoll_pwq")


def slab_kb():
    """KiB in the slab caches a TCP socket with its file takes (active objects x size):
    machine-wide, but only what sockets use, so far less noisy than meminfo's Slab."""
    total = 0
    with open("/proc/slabinfo") as f:
        for line in f:
            w = line.split()
            if w and w[0] in SOCKET_CACHES:
                total += int(w[1]) * int(w[3])
    return total / 1024


def settle(read, still=1, limit=2.0):
    """Read a memory figure until it has not moved for `still` reads 0.1 s apart (an
    app still accepting, threads starting), or `limit` seconds have passed."""
    last, same, end = read(), 0, time.monotonic() + limit
    while same < still and time.monotonic() < end:
        time.sleep(0.1)
        v = read()
        same = same + 1 if v == last else 0
        last = v
    return last


def idle_conns(cand, warm, n, batch, timeout_ms):
    """Opens `warm` then `n` idle connections to an echo server; returns (established,
    memory before, memory after) with memory the stack's RSS (tuntcp) or the kernel's
    slab (linux), in KiB."""
    with Run() as r:
        if cand == "linux":
            k, s = r.veth()
            srv = r.start(s, 1, [tool("kb"), "hold", "7"])
            mem = slab_kb
            still, limit = 1, 2.0          # machine-wide: never quite still
        else:
            k = s = r.netns("tun")
            srv = r.start(s, 1, stack_app("echo-server", "--events", log="idle.log"))
            mem = lambda: rss_kb(srv.p.pid)
            still, limit = 5, 20.0         # until echo-server has accepted them all
        srv.expect("listening", 10)
        cli = r.start(k, 0, [tool("kb"), "idle", STACK, "7", str(warm), str(n), str(batch),
                             str(timeout_ms)], stdin=True)
        cli.expect(r"warm=", 60)
        m0 = settle(mem, still, limit)
        cli.send("go\n")
        res = kv(cli.expect(r"established=", 600))
        m1 = settle(mem, still, limit)
        cli.send("echo\n")
        res.update(kv(cli.expect(r"echoed=", 60)))
        return int(res["established"]), m0, m1, res


def memory(cand):
    est, m0, m1, res = idle_conns(cand, 16, IDLE_N, 50, 3000)
    if est == 0:
        raise RunError("no connection established")
    per = (m1 - m0) * 1024 / est
    if cand == "linux":
        per /= 2   # both ends are kernel sockets: per socket
    return per, {"connections": est, "echoed": res["echoed"]}


def concurrency(cand):
    est, _, _, res = idle_conns(cand, 0, CONC_MAX, 100, 1500)
    return res["echoed"], {"handshakes": est, "failed in the last batch": res["failed"]}


def core(cand):
    out = subprocess.run(["taskset", "-c", "1", tool("corebench"), "--bytes", CORE_BYTES],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    if out.returncode:
        raise RunError("corebench: " + out.stderr.strip())
    res = kv(out.stdout)
    return res["ns_per_seg"], {"gbps_per_cpu": res["gbps_per_cpu"]}


def core_instructions():
    """Instructions per data segment under callgrind (deterministic), and where they go."""
    if not shutil.which("valgrind"):
        return None, "valgrind not installed: instructions not counted (apt-get install valgrind)"
    cg = os.path.join(LOGS, "callgrind.out")
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg,
                        "--collect-atstart=no", "--toggle-collect=transfer",
                        tool("corebench"), "--bytes", CORE_CG_BYTES],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    if r.returncode:
        return None, "callgrind failed: " + r.stderr.strip()[-200:]
    segs = kv(r.stdout)["segs"]
    total = None
    with open(cg) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
    if total is None:
        return None, "callgrind: no total"
    top = []
    if shutil.which("callgrind_annotate"):
        a = subprocess.run(["callgrind_annotate", cg], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True).stdout
        fmt_pct = 0.0
        for line in a.splitlines():
            m = re.match(r"\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(\S+)", line)
            if not m or ":" not in m.group(3):
                continue
            fn = m.group(3).split(":")[-1]
            if re.search(r"printf|^_IO_|_itoa|strchrnul", fn):
                fmt_pct += float(m.group(2))
            if len(top) < 6:
                top.append("%s %.0f%%" % (fn, float(m.group(2))))
        if fmt_pct >= 1:
            return total / segs, "%s; snprintf and its helpers together %.0f%%" % (", ".join(top), fmt_pct)
    return total / segs, ", ".join(top)


# key, title, unit, higher is better, candidates, function, value -> list of metrics
PP = lambda cpu: (lambda c: pingpong(c, cpu))
METRICS = [
    ("bulk_in", "bulk kernel -> stack", "Gbit/s", True, ("tuntcp", "ceiling", "linux"), bulk_in),
    ("bulk_in_ack_burst", "bulk kernel -> stack, sink --ack-burst", "Gbit/s", True,
     ("tuntcp", "ceiling", "linux"), lambda c: bulk_in(c, "--ack-burst")),
    ("bulk_out", "bulk stack -> kernel", "Gbit/s", True, ("tuntcp", "ceiling", "linux"), bulk_out),
    ("bulk_in_offload", "bulk kernel -> stack, sink --offload --rcvbuf 1M", "Gbit/s", True,
     ("tuntcp", "ceiling", "linux"), lambda c: bulk_in(c, "--offload", "--rcvbuf", "1M")),
    ("bulk_out_offload", "bulk stack -> kernel, source --offload", "Gbit/s", True,
     ("tuntcp", "ceiling", "linux"), lambda c: bulk_out(c, "--offload")),
    ("pingpong_1cpu", "1-byte ping-pong, all on one CPU", "us", False, ("tuntcp", "ceiling", "linux"), PP(1)),
    ("pingpong_2cpu", "1-byte ping-pong, across CPUs", "us", False, ("tuntcp", "ceiling", "linux"), PP(0)),
    ("pingpong_threads", "1-byte ping-pong, all on one CPU, echo-server with a thread per connection",
     "us", False, ("tuntcp", "ceiling"), lambda c: (lambda r: (r[0]["p50"], r[1]))(pingpong(c, 1, ()))),
    ("connrate", "connections/s, client closes first (echo-server)", "conn/s", True,
     ("tuntcp", "ceiling", "linux"), connrate),
    ("connrate_pp", "connections/s, pingpong-server --linger 0", "conn/s", True,
     ("tuntcp", "ceiling", "linux"), lambda c: connrate(c, "pingpong-server")),
    ("loss_in", "20 MB kernel -> stack through 5% loss each way (CUBIC)", "Gbit/s", True,
     ("tuntcp", "linux"), lambda c: lossy(c, "in")),
    ("loss_out", "20 MB stack -> kernel through 5% loss each way (CUBIC)", "Gbit/s", True,
     ("tuntcp", "linux"), lambda c: lossy(c, "out")),
    ("delay_loss", "stack -> kernel vs kernel -> stack, 1% loss and 20 ms delay each way", "Mbit/s",
     True, ("tuntcp", "linux"), delayed),
    ("memory", "memory per idle connection", "bytes", False, ("tuntcp", "linux"), memory),
    ("concurrency", "concurrent connections accepted", "conns", True, ("tuntcp", "linux"), concurrency),
    ("core", "core, two stacks in memory, time per data segment", "ns", False, ("tuntcp",), core),
    ("lib_bulk_in", "bulk kernel -> stack, sink vs. kb recv under tuntcp-run", "Gbit/s", True,
     ("tuntcp", "library"), lib_bulk_in),
    ("lib_pingpong", "1-byte ping-pong p50 across CPUs, echo-server vs. kb echo under tuntcp-run",
     "us", False, ("tuntcp", "library"), lib_pingpong),
]


# ---------------------------------------------------------------- statistics and report

def mmm(v):
    v = [x for x in v if x is not None]
    if not v:
        return None
    return min(v), statistics.median(v), max(v)


def fmt(x, unit):
    if x is None:
        return "-"
    if unit in ("Gbit/s",):
        return "%.2f" % x
    if unit == "us":
        return "%.1f" % x
    if abs(x) >= 100:
        return "%.0f" % x
    return "%.3g" % x


def fmt3(t, unit):
    if not t:
        return "-"
    return "%s (%s..%s)" % (fmt(t[1], unit), fmt(t[0], unit), fmt(t[2], unit))


def main():
    if args.list:
        for m in METRICS:
            print("%-14s %s" % (m[0], m[1]))
        return 0
    why = []
    if os.geteuid() != 0:
        why.append("not root")
    if not os.path.exists("/dev/net/tun"):
        why.append("no /dev/net/tun")
    for t in ("ip", "taskset"):
        if not shutil.which(t):
            why.append("no " + t)
    if (os.cpu_count() or 1) < 2:
        why.append("needs 2 CPUs")
    if why:
        print("bench: cannot run (%s); as root on a 2-CPU Linux: make bench" % ", ".join(why))
        return 1
    os.makedirs(LOGS, exist_ok=True)
    signal.signal(signal.SIGTERM, on_signal)
    only = set(args.only.split(",")) if args.only else None
    metrics = [m for m in METRICS if not only or m[0] in only]
    if only and len(metrics) != len(only):
        print("bench: unknown metric in --only (make bench ONLY=...; keys: %s)" %
              ", ".join(m[0] for m in METRICS))
        return 2
    t_start = time.monotonic()
    if args.tcp_cc:
        # per socket (kb's TCP_CONGESTION): a namespace's default may only be one of
        # tcp_allowed_congestion_control, which is global
        os.environ["KB_TCP_CC"] = args.tcp_cc
        cc = args.tcp_cc + " (set on every kernel-side socket)"
    else:
        cc = open("/proc/sys/net/ipv4/tcp_congestion_control").read().strip() + " (the kernel's default)"
    print("bench: %s, %d interleaved pairs, kernel congestion control %s, %s" %
          ("QUICK" if Q else "full", PAIRS, cc, platform.release()))
    values = {}      # key -> cand -> [value per pair]
    extras = {}      # key -> cand -> [extra dict per pair]
    errors = []
    try:
        for key, title, unit, higher, cands, fn in metrics:
            t0 = time.monotonic()
            reps = PAIRS if key not in ("concurrency", "loss_in", "loss_out", "delay_loss") else max(1, min(PAIRS, 3))
            values[key] = {c: [] for c in cands}
            extras[key] = {c: [] for c in cands}
            if key == "pingpong_1cpu" or key == "pingpong_2cpu":
                values[key + "_p99"] = {c: [] for c in cands}
            for i in range(reps):
                order = cands if i % 2 == 0 else tuple(reversed(cands))
                for c in order:
                    try:
                        v, ex = fn(c)
                    except (RunError, subprocess.TimeoutExpired, OSError, KeyError) as e:
                        v, ex = None, {}
                        errors.append("%s %s pair %d: %s" % (key, c, i + 1, e))
                        print("  ! %s %s: %s" % (key, c, e))
                    if isinstance(v, dict):          # ping-pong: p50 and p99 from one run
                        values[key + "_p99"][c].append(v["p99"])
                        v = v["p50"]
                    values[key][c].append(v)
                    extras[key][c].append(ex)
            line = "  %-14s" % key
            for c in cands:
                line += " %s %s" % (c, fmt3(mmm(values[key][c]), unit))
            print(line + "  [%.0f s]" % (time.monotonic() - t0))
    except KeyboardInterrupt:
        print("bench: interrupted; namespaces removed")
        cleanup()
        return 130
    finally:
        cleanup()
    instr, where = None, ""
    if not only or "core" in only:
        instr, where = core_instructions()
    elapsed = time.monotonic() - t_start
    return report(metrics, values, extras, errors, cc, instr, where, elapsed)


def ratios(vals, c, ref):
    a, b = vals.get(c, []), vals.get(ref, [])
    return [x / y for x, y in zip(a, b) if x is not None and y]


def report(metrics, values, extras, errors, cc, instr, where, elapsed):
    rows = []
    titles = {"bulk_in": "bulk kernel -> stack, Gbit/s",
              "bulk_in_ack_burst": "bulk kernel -> stack, sink --ack-burst (one ACK per burst read), Gbit/s",
              "bulk_out": "bulk stack -> kernel, Gbit/s",
              "bulk_in_offload": "bulk kernel -> stack with --offload --rcvbuf 1M (TSO in), Gbit/s",
              "bulk_out_offload": "bulk stack -> kernel with --offload (TSO frames out), Gbit/s",
              "pingpong_1cpu": "1-byte ping-pong p50, all on one CPU, us",
              "pingpong_1cpu_p99": "1-byte ping-pong p99, all on one CPU, us",
              "pingpong_2cpu": "1-byte ping-pong p50, across CPUs, us",
              "pingpong_2cpu_p99": "1-byte ping-pong p99, across CPUs, us",
              "pingpong_threads": "1-byte ping-pong p50, all on one CPU, echo-server with a thread "
                                  "per connection (not --events), us",
              "connrate": "connections/s, client closes first (echo-server)",
              "connrate_pp": "connections/s, pingpong-server --linger 0",
              "loss_in": "20 MB kernel -> stack through 5% random loss each way (CUBIC), Gbit/s",
              "loss_out": "20 MB stack -> kernel through 5% random loss each way (CUBIC), Gbit/s",
              "delay_loss": "through 1% loss and 20 ms delay each way (the stack's impairments), "
                            "Mbit/s: the stack sending (tuntcp) against the kernel, CUBIC, sending to the "
                            "stack (Linux column)",
              "memory": "memory per idle connection, bytes",
              "concurrency": "concurrent connections before SYNs fail",
              "core": "core in memory, ns per data segment (both ends)",
              "lib_bulk_in": "bulk kernel -> stack: sink --no-hash vs. kb recv",
              "lib_pingpong": "1-byte ping-pong p50 across CPUs: echo-server vs. kb echo"}
    units = {m[0]: m[2] for m in METRICS}
    goals = {"bulk_in": ">= 0.8 x ceiling", "bulk_in_ack_burst": ">= 0.8 x ceiling",
             "bulk_out": ">= 0.8 x ceiling",
             "bulk_in_offload": "report against Linux veth", "bulk_out_offload": "report against Linux veth",
             "pingpong_1cpu": "<= 1.1 x ceiling and <= Linux",
             "pingpong_2cpu": "<= 1.1 x ceiling and <= Linux",
             "connrate": ">= 1.0 x ceiling", "connrate_pp": ">= 1.0 x ceiling",
             "loss_in": ">= 0.5 x Linux (issue 13)", "loss_out": ">= 0.5 x Linux (issue 13)",
             "delay_loss": ">= 0.9 (issue 13)",
             "memory": "<= 1 KB RSS (echo-server)", "concurrency": ">= 10,000",
             "core": ">= 10 Gbit/s per CPU (<= 1170 ns)"}
    keys = []
    for m in metrics:
        keys.append(m[0])
        if m[0] + "_p99" in values:
            keys.append(m[0] + "_p99")
    library = [k for k in keys if "library" in values[k]]
    keys = [k for k in keys if k not in library]
    for k in keys:
        base = k.replace("_p99", "")
        v = values[k]
        rc = ratios(v, "tuntcp", "ceiling")
        rl = ratios(v, "tuntcp", "linux")
        rows.append({"key": k, "metric": titles[k], "unit": units[base],
                     "tuntcp": v.get("tuntcp", []), "ceiling": v.get("ceiling", []),
                     "linux": v.get("linux", []),
                     "ratio_ceiling": rc, "ratio_linux": rl, "goal": goals.get(k, "")})
    head = ("| metric | tuntcp | ceiling (refpeer) | Linux veth | ratio vs ceiling | ratio vs Linux "
            "| goal (issues 12, 13) |\n|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        u = r["unit"]
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            r["metric"], fmt3(mmm(r["tuntcp"]), u), fmt3(mmm(r["ceiling"]), u),
            fmt3(mmm(r["linux"]), u), fmt3(mmm(r["ratio_ceiling"]), "ratio"),
            fmt3(mmm(r["ratio_linux"]), "ratio"), r["goal"]))
    if instr is not None:
        lines.append("| core in memory, instructions per data segment (both ends, callgrind) | "
                     "%.0f | - | - | - | - | <= 6.5k |" % instr)
    table = "\n".join(lines)
    per_pair = ["Per-pair ratios (tuntcp / reference, pair 1 first):"]
    for r in rows:
        for ref in ("ceiling", "linux"):
            if r["ratio_" + ref]:
                per_pair.append("  %-18s vs %-8s %s" % (r["key"], ref, " ".join(
                    "%.3g" % x for x in r["ratio_" + ref])))
    table += "\n\n" + "\n".join(per_pair)
    if library:
        lib = ["Unmodified programs (tuntcp-run, issue 9): the native API against a plain sockets "
               "program through libtuntcp.so, which adds a socketpair and one copy each way:",
               "", "| metric | native (the app) | through the library | library / native |",
               "|---|---|---|---|"]
        for k in library:
            v, u = values[k], units[k]
            lib.append("| %s, %s | %s | %s | %s |" % (
                titles.get(k, k), u, fmt3(mmm(v["tuntcp"]), u), fmt3(mmm(v["library"]), u),
                fmt3(mmm(ratios(v, "library", "tuntcp")), "ratio")))
        table += "\n\n" + "\n".join(lib)
    notes = []
    notes.append("Each cell: median (min..max) over the interleaved pairs; a ratio is tuntcp / "
                 "reference within each pair (throughput and conn/s: higher is better; latency, "
                 "memory and time: lower is better).")
    notes.append("Kernel congestion control: %s, for the kernel sender into the stack, into "
                 "refpeer, and over veth alike (make bench TCP_CC=cubic to change it)." % cc)
    notes.append("Apps: sink and source run with --no-hash (no SHA-256: it costs more than the "
                 "stack); source with --rcvbuf 1M, so that it offers window scaling and the kernel "
                 "may scale its window to it, as refpeer's source does (shift 7). refpeer's sink, "
                 "like the stack's, advertises 65535 unscaled.")
    notes.append("Ping-pong: kernel client (TCP_NODELAY) against echo-server --events (one thread "
                 "that reads the link itself while it waits: run to completion; the pingpong_threads "
                 "row runs echo-server with a thread per connection, woken by the network thread) / "
                 "refpeer echo / a kernel echo server; connections/s: a kernel client connect, 'ping', 4 bytes back, "
                 "close, in a loop, against echo-server --events (it closes when the client has: the client "
                 "closes first) / refpeer echo / a kernel echo server, all on port 1234; the "
                 "connrate_pp row runs the issue's pingpong-server --linger 0 instead, which closes "
                 "right after its answer, racing the client: when it wins it holds TIME-WAIT "
                 "(60 s) in one of the stack's slots, and the kernel client holds none, which "
                 "makes the client's own loop cheaper than against the references (where the "
                 "client closes first and keeps every TIME-WAIT): a ratio above 1 there is no "
                 "win.")
    notes.append("Memory: RSS growth of echo-server --events (one thread for all) per idle connection (%d connections after 16 "
                 "warm-up ones); Linux: growth of the slab caches a "
                 "socket uses (%s: active objects x size, /proc/slabinfo) per socket, both ends "
                 "being kernel sockets." % (IDLE_N, ", ".join(SOCKET_CACHES)))
    notes.append("Concurrency: a kernel client opens idle connections to echo-server 100 at a "
                 "time, 1.5 s each, until a batch fails (capped at %d)." % CONC_MAX)
    if instr is not None:
        notes.append("Core instructions: callgrind over transfer() only (%s moved); where they go "
                     "(self cost): %s." % (CORE_CG_BYTES, where))
    elif where:
        notes.append("Core instructions: " + where)
    for k in ("bulk_in",):
        ex = [e.get("own figure, Gbit/s") for e in extras.get(k, {}).get("tuntcp", []) if e]
        ex = [x for x in ex if x]
        if ex:
            notes.append("sink's own figure (accept to end, Gbit/s): median %.2f." % statistics.median(ex))
    ex = [e.get("gbps_per_cpu") for e in extras.get("core", {}).get("tuntcp", []) if e]
    if ex:
        notes.append("Core in memory: %.2f Gbit/s of payload per CPU (median)." % statistics.median(ex))
    for k in ("connrate", "connrate_pp"):
        ex = [e for e in extras.get(k, {}).get("tuntcp", []) if e]
        if ex:
            notes.append("%s, tuntcp: %s connections failed (5 s without progress) over all "
                         "pairs; the slowest took %.1f ms (median over pairs)." %
                         (k, "%d" % sum(e["failed"] for e in ex),
                          statistics.median(e["slowest_ms"] for e in ex)))
    if errors:
        notes.append("Failed runs (left out): " + "; ".join(errors))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = ("tuntcp bench, %s, %s, %d pairs, %s, %d CPUs; took %.0f s\n\n%s\n\n%s\n" %
            (stamp, "QUICK" if Q else "full", PAIRS, platform.release(), os.cpu_count(), elapsed,
             table, "\n".join("- " + n for n in notes)))
    with open(os.path.join(OUT, "results.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"date": stamp, "quick": Q, "pairs": PAIRS, "kernel": platform.release(),
                   "tcp_congestion_control": cc, "elapsed_s": round(elapsed, 1),
                   "metrics": rows, "core_instructions_per_segment": instr, "core_where": where,
                   "library": {k: values[k] for k in library},
                   "notes": notes, "errors": errors}, f, indent=1)
    with open(os.path.join(OUT, "results.tsv"), "w") as f:
        f.write("metric\tunit\tcandidate\tpair\tvalue\n")
        for r in rows:
            for c in ("tuntcp", "ceiling", "linux", "ratio_ceiling", "ratio_linux"):
                for i, x in enumerate(r[c]):
                    f.write("%s\t%s\t%s\t%d\t%s\n" % (r["key"], r["unit"] if not c.startswith("ratio")
                                                      else "ratio", c, i + 1, "" if x is None else x))
        if instr is not None:
            f.write("core_instructions\tinstructions\ttuntcp\t1\t%.0f\n" % instr)
    print()
    print(text)
    print("bench: results in %s/results.txt, .json, .tsv; logs in %s" % (OUT, LOGS))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
