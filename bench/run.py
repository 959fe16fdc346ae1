#!/usr/bin/env python3
"""`make bench`: the benchmark ladder.

Load-tests the course's servers side by side on 127.0.0.1 with wrk, beside
reference peers started in the same run: Python's ThreadingHTTPServer
(bench/python_server.py, the original tutorial's language) and nginx
(bench/nginx.conf) twice: with one worker process ("nginx", the reference of
the ratios) and with five ("nginx 5w", as many workers as stage 6 has
threads). It uses whatever stages exist in stages/NN-name:

  1. the ladder: every HTTP stage (2..6) and both peers answer one small GET
     route, with keep-alive and with `Connection: close`, at 5 and at 50
     connections; every configuration runs twice, the peers in one order and
     then in the reverse order, so drift of the machine shows as a
     difference between the two runs;
  2. the concurrency demo (stage 6 on, which has GET /delay/{ms}): 10
     clients call GET /delay/200 at once, against stage 6 with one worker
     (10 x 200 ms), then with its pool, and stage 7; then the stall check:
     fresh connections, two requests each, timed one by one, so a 40 ms
     Nagle/delayed-ACK stall that wrk's percentiles hide shows up;
  3. TLS (stage 7 on): keep-alive throughput and new-handshake rate
     (`openssl s_time -new`) against nginx with the same certificate.

It prints a table (requests/s, p50 and p99 latency, wrk's errors and
timeouts, the server's CPU time and context switches per request and its
peak RSS, ratios to nginx), and writes build/bench/results.csv, the same
table in Markdown for the README (build/bench/results.md) and the chart
build/bench/requests.png (gnuplot).

Every server is started fresh for each run, so its peak RSS (VmHWM in
/proc/PID/status), CPU time and context switches (from wait4's rusage, all
its threads and child processes) belong to that run alone, and stopped
after it; all of them are stopped on Ctrl-C or on an error too.

Usage: python3 bench/run.py [--seconds N]    (make bench runs it)
"""

import argparse
import csv
import http.client
import os
import re
import shutil
import signal
import ssl
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# ---------------------------------------------------------------------------
# What is measured.

CONNECTIONS = (5, 50)          # wrk -c: a few clients, then many more than workers
MODES = ("keep-alive", "close")  # "close" adds the header `Connection: close`
ROUNDS = 2                     # each configuration twice, peers in alternating order
WRK_THREADS = 1                # on 2 cores: one for wrk, one for the server
WRK_TIMEOUT = "2s"             # a response slower than this counts as a timeout
PROBE_EVERY, PROBE_TIMEOUT = 0.25, 2.0  # NewClientProbe: seconds between probes, longest wait
TLS_FROM_STAGE = 7             # from stage 7 on, the servers speak HTTPS only
DEMO_FROM_STAGE = 6            # GET /delay/{ms} arrives with the thread pool (docs/course.md 5.6)
DEMO_CLIENTS, DEMO_DELAY_MS = 10, 200
STALL_CONNECTIONS = 20         # stall check: fresh connections, two requests on each
STALL_MS = 35                  # Nagle + a delayed ACK costs ~40 ms: anything above this is one

OUT = Path("build/bench")      # results.csv, requests.dat, requests.png
CERT, KEY = Path("build/certs/cert.pem"), Path("build/certs/key.pem")
BODY_ROUTE = "/hello/bench"
POOL_THREADS = 5               # stage 6's default --threads: "nginx 5w" gets as many workers


def route_for_stage(stage):
    """The small GET route load-tested on a stage.

    Stage 2 answers every path with a text description of the request (about
    200 bytes); from stage 3 on, GET /hello/{name} answers "Hello, bench!\\n",
    the same 14 bytes as the two reference peers. One path serves both.
    """
    return BODY_ROUTE


# ---------------------------------------------------------------------------
# Starting and stopping servers.

@dataclass
class Peer:
    """Something to load-test: a command line, and where to send requests."""
    name: str                  # "stage 3", "python", "nginx"
    argv: list
    port: int = 0              # known in advance (nginx); 0: read the listening line
    route: str = BODY_ROUTE
    setup: object = None       # called before each start (nginx writes its config)
    scheme: str = "http"
    error_log: Path = None     # nginx's, shown if it fails to start


class Server:
    """A running server that we started, and its base URL."""

    def __init__(self, peer, scratch):
        if peer.setup:
            peer.setup()
        self.peer = peer
        self.stdout_path = scratch / (peer.name.replace(" ", "-") + ".out")
        with open(self.stdout_path, "w") as stdout:
            self.process = subprocess.Popen(peer.argv, stdin=subprocess.DEVNULL, stdout=stdout,
                                            stderr=subprocess.DEVNULL)  # one log line per request
        self.killed = False  # set by stop() if SIGTERM was not enough
        self.switches = None  # context switches over its life, known once stopped
        self.cpu_seconds = None  # user + system CPU time over its life, likewise
        RUNNING.append(self)
        self.url = self._wait_until_ready(peer)

    def _wait_until_ready(self, peer, seconds=10):
        """Returns the base URL once the server accepts connections."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{peer.name} exited at start (code {self.process.returncode})"
                                 + nginx_error_log(peer))
            if peer.port:  # nginx prints nothing: knock until it answers
                try:
                    socket.create_connection(("127.0.0.1", peer.port), timeout=1).close()
                    return f"{peer.scheme}://127.0.0.1:{peer.port}"
                except OSError:
                    pass
            else:  # docs/course.md section 4: the first stdout line is `listening on URL`
                first_line = self.stdout_path.read_text().partition("\n")
                if first_line[1]:
                    match = re.fullmatch(r"listening on (\w+://[\w.:\[\]-]+)", first_line[0])
                    if not match:
                        raise BenchError(f"{peer.name}: unexpected first line {first_line[0]!r}")
                    return match.group(1)
            time.sleep(0.02)
        raise BenchError(f"{peer.name} was not ready within {seconds} s")

    def peak_rss_kb(self):
        """VmHWM of the server and its children (nginx: master + worker)."""
        return sum(vm_hwm_kb(pid) for pid in [self.process.pid, *children_of(self.process.pid)])

    def stop(self):
        """SIGTERM, which the servers handle (docs/course.md section 4); SIGKILL after 5 s.
        Reaps the server with wait4, whose rusage counts the CPU time and the
        context switches of all its threads and of the children it reaped
        (nginx's workers)."""
        if self.process.poll() is None:
            self.process.terminate()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
                if pid:
                    self.process.returncode = os.waitstatus_to_exitcode(status)
                    self.switches = usage.ru_nvcsw + usage.ru_nivcsw
                    self.cpu_seconds = usage.ru_utime + usage.ru_stime
                    break
                time.sleep(0.01)
            else:
                self.process.kill()
                self.process.wait()
                self.killed = True
        if self in RUNNING:
            RUNNING.remove(self)


RUNNING = []  # every server not yet stopped: main()'s `finally` stops them


class BenchError(Exception):
    pass


def vm_hwm_kb(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def children_of(pid):
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # the fields after the command name, which is in parentheses
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def free_port():
    """A port that is free now (nginx needs one in its config file)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_peer(name, template, scratch, workers=1, **words):
    """nginx with bench/TEMPLATE, its @WORDS@ filled in, in a temp folder."""
    folder = Path(tempfile.mkdtemp(prefix="nginx-", dir=scratch))
    port = free_port()
    words = {"DIR": str(folder), "PORT": str(port), "WORKERS": str(workers),
             **{k: str(v) for k, v in words.items()}}

    def write_config():
        text = Path("bench", template).read_text()
        for word, value in words.items():
            text = text.replace(f"@{word}@", value)
        (folder / "nginx.conf").write_text(text)

    argv = ["nginx", "-p", str(folder), "-e", str(folder / "error.log"),
            "-c", str(folder / "nginx.conf")]
    return Peer(name, argv, port=port, setup=write_config,
                scheme="https" if "CERT" in words else "http", error_log=folder / "error.log")


def nginx_error_log(peer):
    log = peer.error_log
    if log and log.exists():
        return ":\n" + log.read_text()[-2000:].replace(str(log.parent), "<nginx's temp folder>")
    return ""


# ---------------------------------------------------------------------------
# One measurement.

@dataclass
class Result:
    section: str               # "http", "https" (wrk over TLS), "handshake" (openssl s_time)
    mode: str                  # "keep-alive", "close", "new handshakes"
    connections: int
    server: str
    round: int
    requests: int = 0
    per_second: float = 0.0
    p50_ms: float = None
    p99_ms: float = None
    errors: int = 0            # wrk: connect + read + write errors + non-2xx/3xx
    timeouts: int = 0
    probes: int = 0            # NewClientProbe: how many new connections it opened,
    unanswered: int = 0        # how many got no answer within PROBE_TIMEOUT,
    probe_ms: float = None     # and the slowest answer among the others
    switches: int = None       # the server's context switches during its life
    cpu_seconds: float = None  # the server's CPU time (user + system) during its life
    peak_rss_kb: int = 0
    note: str = ""
    detail: dict = field(default_factory=dict)


class NewClientProbe(threading.Thread):
    """Opens one new connection at a time while wrk runs, and times its answer.

    wrk cannot see a connection that never gets an answer: it counts late
    answers as timeouts, but when the run ends it just drops the connections
    still waiting. So a server that serves only some of wrk's connections
    (one at a time, or five workers held by five keep-alive clients) looks
    fine in wrk's numbers. This probe is one more client, coming and going
    like a browser would, and its slowest wait shows what the others saw.
    """

    def __init__(self, url, route):
        super().__init__(daemon=True)
        scheme, address = url.split("://")
        self.host, self.port = address.rsplit(":", 1)
        self.https, self.route = scheme == "https", route
        self.waits = []  # seconds per probe, None when no answer came in time
        self.finished = threading.Event()

    def run(self):
        self.finished.wait(PROBE_EVERY)  # let wrk open its connections first
        while not self.finished.is_set():
            self.waits.append(self.ask())
            self.finished.wait(PROBE_EVERY)

    def ask(self):
        if self.https:  # a self-signed certificate: encrypt, do not verify
            connection = http.client.HTTPSConnection(self.host, int(self.port), timeout=PROBE_TIMEOUT,
                                                     context=ssl._create_unverified_context())
        else:
            connection = http.client.HTTPConnection(self.host, int(self.port), timeout=PROBE_TIMEOUT)
        began = time.monotonic()
        try:
            connection.request("GET", self.route, headers={"Connection": "close"})
            connection.getresponse().read()
            return time.monotonic() - began
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()


def run_wrk(url, route, connections, mode, seconds):
    """Runs wrk once, with a NewClientProbe beside it; returns their numbers."""
    argv = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s",
            "--timeout", WRK_TIMEOUT, "-s", "bench/report.lua"]
    if mode == "close":
        argv += ["-H", "Connection: close"]
    wrk = subprocess.Popen(argv + [url + route], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    probe = NewClientProbe(url, route)
    probe.start()
    try:
        out, err = wrk.communicate(timeout=seconds + 30)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
        probe.finished.set()
        probe.join(PROBE_TIMEOUT + 1)
    for line in out.splitlines():
        if line.startswith("BENCH "):
            numbers = {key: int(value) for key, value in
                       (pair.split("=") for pair in line.split()[1:])}
            return numbers, probe.waits
    raise BenchError(f"wrk printed no result: {out.strip()} {err.strip()}")


def measure_wrk(peer, scratch, section, mode, connections, round_, seconds):
    server = Server(peer, scratch)
    try:
        numbers, waits = run_wrk(server.url, peer.route, connections, mode, seconds)
        result = Result(section, mode, connections, peer.name, round_)
        result.requests = numbers["requests"]
        result.per_second = numbers["requests"] / (numbers["duration_us"] / 1e6)
        if numbers["requests"]:
            result.p50_ms, result.p99_ms = numbers["p50_us"] / 1000, numbers["p99_us"] / 1000
        result.errors = sum(numbers[k] for k in
                            ("connect_errors", "read_errors", "write_errors", "status_errors"))
        result.timeouts = numbers["timeouts"]
        result.probes = len(waits)
        result.unanswered = waits.count(None)
        answered = [w for w in waits if w is not None]
        result.probe_ms = max(answered) * 1000 if answered else None
        result.detail = numbers
        result.peak_rss_kb = server.peak_rss_kb()
        if server.process.poll() is not None:
            result.note = f"exited during the run (code {server.process.returncode})"
    finally:
        server.stop()
    result.switches, result.cpu_seconds = server.switches, server.cpu_seconds
    if server.killed:
        result.note = "ignored SIGTERM for 5 s: killed"
    return result


def measure_handshakes(peer, scratch, round_, seconds):
    """New TLS handshakes per second from one `openssl s_time -new` client."""
    server = Server(peer, scratch)
    try:
        address = server.url.split("://")[1]
        started = time.monotonic()
        done = subprocess.run(["openssl", "s_time", "-connect", address, "-new",
                               "-time", str(seconds)],
                              capture_output=True, text=True, timeout=seconds + 30)
        elapsed = time.monotonic() - started
        match = re.search(r"(\d+) connections in", done.stdout)
        if not match:
            raise BenchError(f"openssl s_time printed no result: {done.stdout} {done.stderr}")
        result = Result("handshake", "new handshakes", 1, peer.name, round_)
        result.requests = int(match.group(1))
        result.per_second = result.requests / elapsed
        result.peak_rss_kb = server.peak_rss_kb()
    finally:
        server.stop()
    result.switches, result.cpu_seconds = server.switches, server.cpu_seconds
    return result


# ---------------------------------------------------------------------------
# The three parts of the benchmark.

class Progress:
    def __init__(self, total):
        self.total, self.done = total, 0

    def show(self, result):
        self.done += 1
        if result.section == "handshake":
            what = f"{result.per_second:9,.0f} handshakes/s"
        else:
            p99 = f"{result.p99_ms:.2f} ms" if result.p99_ms is not None else "-"
            what = (f"{result.per_second:9,.0f} req/s  p99 {p99:>9}  errors {result.errors}"
                    f"  timeouts {result.timeouts}  new conn {probe_cell(result)}")
        label = f"{result.mode} {result.connections:>2}" if result.section != "handshake" \
            else "new TLS"
        print(f"[{self.done:2}/{self.total}] {result.section:9} {label:13} run {result.round}"
              f"  {result.server:8} {what}  {result.note}", flush=True)


def ladder(peers, scratch, seconds, progress):
    results = []
    for mode in MODES:
        for connections in CONNECTIONS:
            for round_ in range(1, ROUNDS + 1):
                order = peers if round_ % 2 else list(reversed(peers))
                for peer in order:
                    result = measure_wrk(peer, scratch, "http", mode, connections, round_, seconds)
                    progress.show(result)
                    results.append(result)
    return results


def tls(peers, scratch, seconds, progress):
    results = []
    for round_ in range(1, ROUNDS + 1):
        for peer in (peers if round_ % 2 else list(reversed(peers))):
            result = measure_wrk(peer, scratch, "https", "keep-alive", 5, round_, seconds)
            progress.show(result)
            results.append(result)
    for round_ in range(1, ROUNDS + 1):
        for peer in (peers if round_ % 2 else list(reversed(peers))):
            result = measure_handshakes(peer, scratch, round_, seconds)
            progress.show(result)
            results.append(result)
    return results


def connect(url, timeout):
    """An http.client connection to URL's server, over TLS for https:// (a
    self-signed certificate: encrypt, do not verify). http.client sets
    TCP_NODELAY, so a delay it measures is the server's."""
    scheme, address = url.split("://")
    host, port = address.rsplit(":", 1)
    if scheme == "https":
        return http.client.HTTPSConnection(host, int(port), timeout=timeout,
                                           context=ssl._create_unverified_context())
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def delay_demo(peer, scratch):
    """10 clients call GET /delay/200 at the same moment; prints how long it took
    and returns it in seconds (None when the server has no /delay route)."""
    server = Server(peer, scratch)
    try:
        try:
            probe = connect(server.url, timeout=5)
            probe.request("GET", "/delay/0")
            status = probe.getresponse().status
            probe.close()
        except (OSError, http.client.HTTPException) as error:
            status = f"nothing ({error or type(error).__name__})"
        if status != 200:
            print(f"  {peer.name}: GET /delay/0 answers {status}: no /delay route, skipped")
            return None
        start = threading.Barrier(DEMO_CLIENTS)
        took = [None] * DEMO_CLIENTS

        def client(i):
            connection = connect(server.url, timeout=15)
            start.wait()  # all together now
            began = time.monotonic()
            try:
                connection.request("GET", f"/delay/{DEMO_DELAY_MS}")
                response = connection.getresponse()
                response.read()
                took[i] = (response.status, time.monotonic() - began)
            except (OSError, http.client.HTTPException) as error:
                took[i] = (str(error) or type(error).__name__, time.monotonic() - began)
            connection.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(DEMO_CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = sorted(t for _, t in took)
        failed = [status for status, _ in took if status != 200]
        print(f"  {peer.name}: {DEMO_CLIENTS} clients done in {seconds[-1]:.2f} s"
              f" (fastest client {seconds[0]:.2f} s)"
              + (f"; {len(failed)} failed: {failed[0]}" if failed else ""))
        return seconds[-1]
    finally:
        server.stop()


def stall_check(peer, scratch):
    """Opens STALL_CONNECTIONS fresh connections one after another and times two
    requests on each: the first (right after the TCP and TLS handshakes) and
    the second (keep-alive). Two small writes in a row from the server meet
    Nagle's algorithm and the client's delayed ACK: that answer waits ~40 ms,
    which wrk's percentiles hide when it happens once per connection. Prints
    and returns how many answers took STALL_MS or more."""
    server = Server(peer, scratch)
    first, second = [], []
    try:
        for _ in range(STALL_CONNECTIONS):
            connection = connect(server.url, timeout=5)
            try:
                connection.connect()  # the handshakes, outside the timing
                for times in (first, second):
                    began = time.monotonic()
                    connection.request("GET", peer.route)
                    connection.getresponse().read()
                    times.append((time.monotonic() - began) * 1000)
            except (OSError, http.client.HTTPException):
                times.append(float("inf"))
            finally:
                connection.close()
    finally:
        server.stop()
    slow = sum(t >= STALL_MS for t in first + second)
    print(f"  {peer.name:8} {server.url.split(':')[0]:5}  first request: median"
          f" {statistics.median(first):6.2f} ms, slowest {max(first):6.2f} ms;"
          f" second: median {statistics.median(second):5.2f} ms, slowest {max(second):6.2f} ms;"
          f"  {slow} of {len(first) + len(second)} took >= {STALL_MS} ms")
    return slow


# ---------------------------------------------------------------------------
# Reporting: the table, the targets, the CSV and the chart.

def mean(values):
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def summarize(results):
    """{(section, mode, connections): {server: summary of its runs}}"""
    groups = {}
    for r in results:
        runs = groups.setdefault((r.section, r.mode, r.connections), {}).setdefault(r.server, [])
        runs.append(r)
    summary = {}
    for key, by_server in groups.items():
        summary[key] = {}
        for server, runs in by_server.items():
            summary[key][server] = {
                "runs": [r.per_second for r in runs],
                "per_second": mean([r.per_second for r in runs]),
                "p50_ms": mean([r.p50_ms for r in runs]),
                "p99_ms": mean([r.p99_ms for r in runs]),
                "max_ms": max((r.detail["max_us"] / 1000 for r in runs if r.detail.get("requests")),
                              default=None),
                "errors": sum(r.errors for r in runs),
                "timeouts": sum(r.timeouts for r in runs),
                "probes": sum(r.probes for r in runs),
                "unanswered": sum(r.unanswered for r in runs),
                "probe_ms": max((r.probe_ms for r in runs if r.probe_ms is not None), default=None),
                "peak_rss_kb": max(r.peak_rss_kb for r in runs),
                "switches_per_request": per_request(runs, "switches"),
                "cpu_us_per_request": scaled(per_request(runs, "cpu_seconds"), 1e6),
                "notes": sorted({r.note for r in runs if r.note}),
            }
    return summary


def per_request(runs, what):
    """The server's context switches or CPU seconds per request answered,
    over all runs (None when a run could not count them: a server killed,
    not reaped)."""
    if any(getattr(r, what) is None for r in runs):
        return None
    requests = sum(r.requests for r in runs)
    return sum(getattr(r, what) for r in runs) / requests if requests else None


def scaled(value, factor):
    return None if value is None else value * factor


def probe_cell(s):
    """The new-connection probe, in a table cell: its slowest wait in ms, or
    how many of its connections got no answer within PROBE_TIMEOUT."""
    get = s.get if isinstance(s, dict) else lambda key: getattr(s, key)
    if get("unanswered"):
        return f"{get('unanswered')}/{get('probes')} lost"
    return fmt(get("probe_ms"), ".1f")


def ratio(value, reference):
    return value / reference if value is not None and reference else None


def fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def section_title(section, mode, connections):
    if section == "handshake":
        return "HTTPS, new TLS handshakes (openssl s_time -new, 1 client)"
    what = "keep-alive" if mode == "keep-alive" else "Connection: close"
    return f"{'HTTPS, ' if section == 'https' else ''}{what}, {connections} connections"


def print_table(summary, order, seconds):
    print(f"\nResults: mean of {ROUNDS} runs of {seconds} s each ('runs': each one);"
          " 'x nginx': this server / nginx in the same run;\n"
          "errors and timeouts: wrk's, summed over the runs;"
          f" new conn: slowest answer to a fresh connection opened every {PROBE_EVERY} s\n"
          f"during the runs, or 'N/M lost': N of M got no answer within {PROBE_TIMEOUT:.0f} s;"
          " CPU us/req and cs/req: the server's CPU time (user + system) and context\n"
          "switches per request (its threads and child processes, from wait4's rusage);"
          " RSS: the server's peak resident memory (VmHWM)."
          f" nginx 5w: nginx with {POOL_THREADS} worker processes.")
    header = (f"  {'server':9} {'per s':>9} {'(runs)':>19} {'x nginx':>7}"
              f" {'p50 ms':>7} {'p99 ms':>7} {'x nginx':>7} {'errors':>7} {'timeouts':>8}"
              f" {'new conn':>10} {'CPU us/req':>10} {'cs/req':>6} {'RSS MB':>7}")
    for key, by_server in summary.items():
        print(f"\n{section_title(*key)}\n{header}")
        nginx = by_server.get("nginx", {})
        for server in sorted(by_server, key=order.index):
            s = by_server[server]
            runs = " / ".join(f"{v:,.0f}" for v in s["runs"])
            handshake = key[0] == "handshake"
            print(f"  {server:9} {s['per_second']:9,.0f} {'(' + runs + ')':>19}"
                  f" {fmt(ratio(s['per_second'], nginx.get('per_second')), '7.2f')}"
                  f" {'' if handshake else fmt(s['p50_ms'], '7.2f'):>7}"
                  f" {'' if handshake else fmt(s['p99_ms'], '7.2f'):>7}"
                  f" {'' if handshake else fmt(ratio(s['p99_ms'], nginx.get('p99_ms')), '7.2f'):>7}"
                  f" {'' if handshake else s['errors']:>7} {'' if handshake else s['timeouts']:>8}"
                  f" {'' if handshake else probe_cell(s):>10}"
                  f" {fmt(s['cpu_us_per_request'], '10.1f'):>10}"
                  f" {fmt(s['switches_per_request'], '6.2f'):>6}"
                  f" {s['peak_rss_kb'] / 1024:7.1f}"
                  + ("  " + "; ".join(s["notes"]) if s["notes"] else ""))


def print_targets(summary, stalls):
    """The performance targets of the final stages (the course's issue tracker):
    every ratio is to nginx (one worker) measured in the same run."""
    print("\nTargets for the final stages (ratios to nginx from the table above):")

    missed = []

    def check(stage, label, value, ok, shown, extra=""):
        verdict = "-" if value is None else ("met" if ok(value) else "NOT MET")
        if verdict == "NOT MET":
            missed.append(label)
        print(f"  stage {stage}  {label:48} {shown(value) if value is not None else 'no data':>18}"
              f"  {verdict}{extra}")

    def get(key, server, what):
        return summary.get(key, {}).get(server, {}).get(what)

    def x_nginx(key, server, what="per_second"):
        return ratio(get(key, server, what), get(key, "nginx", what))

    times = lambda v: f"{v:.2f}x"
    n6, n7 = TLS_FROM_STAGE - 1, TLS_FROM_STAGE
    pool, tls_stage = f"stage {n6}", f"stage {n7}"
    ka5, close5, ka50 = ("http", "keep-alive", 5), ("http", "close", 5), ("http", "keep-alive", 50)
    https5, handshake = ("https", "keep-alive", 5), ("handshake", "new handshakes", 1)

    if pool not in summary.get(ka5, {}):
        print(f"  stage {n6}  (not written yet)")
    else:
        check(n6, "keep-alive, 5 conns: >= 1.0x nginx", x_nginx(ka5, pool), lambda v: v >= 1.0, times)
        check(n6, "Connection: close, 5 conns: >= 0.9x nginx", x_nginx(close5, pool),
              lambda v: v >= 0.9, times)
        s = summary.get(ka50, {}).get(pool)
        if s:
            counts = (s["errors"], s["timeouts"], s["unanswered"])
            check(n6, "keep-alive, 50 conns: errors, timeouts, lost", counts,
                  lambda v: sum(v) == 0, lambda v: f"{v[0]}, {v[1]}, {v[2]}/{s['probes']}",
                  f"  (slowest answer: wrk {fmt(s['max_ms'], '.0f')} ms,"
                  f" new conn {fmt(s['probe_ms'], '.0f')} ms)")
        check(n6, "p99, keep-alive 5 conns: <= 1.5x nginx", x_nginx(ka5, pool, "p99_ms"),
              lambda v: v <= 1.5, times)
        check(n6, "p99, Connection: close 5 conns: <= 1.5x nginx", x_nginx(close5, pool, "p99_ms"),
              lambda v: v <= 1.5, times)
        rss = max(by_server[pool]["peak_rss_kb"] for key, by_server in summary.items()
                  if pool in by_server and key[0] == "http") / 1024
        check(n6, "peak RSS under load: < 10 MB", rss, lambda v: v < 10, lambda v: f"{v:.1f} MB")
        check(n6, f"no 40 ms stalls (answers >= {STALL_MS} ms)", stalls.get(("http", pool)),
              lambda v: v == 0, str)

    if tls_stage not in summary.get(https5, {}):
        print(f"  stage {n7}  (not written yet)")
    else:
        check(n7, "HTTPS keep-alive, 5 conns: >= 0.9x nginx", x_nginx(https5, tls_stage),
              lambda v: v >= 0.9, times)
        check(n7, "new TLS handshakes per s: >= 0.9x nginx", x_nginx(handshake, tls_stage),
              lambda v: v >= 0.9, times)
        check(n7, "p99, HTTPS keep-alive 5 conns: <= 1.5x nginx",
              x_nginx(https5, tls_stage, "p99_ms"), lambda v: v <= 1.5, times)
        check(n7, f"no 40 ms stalls (answers >= {STALL_MS} ms)", stalls.get(("https", tls_stage)),
              lambda v: v == 0, str)
    if any("5 conns" in label and "close" not in label for label in missed):
        cost = lambda key, server: (f"{fmt(get(key, server, 'cpu_us_per_request'), '.1f')} us of CPU"
                                    f" and {fmt(get(key, server, 'switches_per_request'), '.2f')}"
                                    " context switches")
        print(f"  (keep-alive at 5 connections: per request, {pool} spends {cost(ka5, pool)},\n"
              f"   nginx {cost(ka5, 'nginx')}. Each busy connection has a worker that"
              " sleeps and wakes\n   once per request; one nginx worker serves them all from one"
              " epoll loop. bench/README.md,\n   \"Why nginx with one worker stays ahead\".)")

    # Not targets: the same comparisons against nginx with as many workers as
    # the pool has threads, which pays the same context switches (cs/req).
    lines = []
    for key, stage in ((ka5, pool), (close5, pool), (https5, tls_stage), (handshake, tls_stage)):
        value = ratio(get(key, stage, "per_second"), get(key, "nginx 5w", "per_second"))
        if value is not None:
            lines.append(f"  {stage}  {section_title(*key)[:48]:48} {value:17.2f}x")
    if lines:
        print(f"\nFor comparison, the same against nginx 5w ({POOL_THREADS} workers, as many as the pool):")
        print("\n".join(lines))


def write_markdown(summary, order, path):
    """The table again in Markdown, as the README's Performance section shows it."""
    lines = ["| configuration | server | requests/s | x nginx | p50 / p99 ms | errors / timeouts"
             " | new conn ms | CPU us/req | cs/req | peak RSS MB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, by_server in summary.items():
        nginx = by_server.get("nginx", {})
        title = section_title(*key).replace("Connection: close", "`Connection: close`")
        title = title.replace(" (openssl s_time -new, 1 client)", " (`openssl s_time -new`)")
        for i, server in enumerate(sorted(by_server, key=order.index)):
            s = by_server[server]
            wrk = key[0] != "handshake"
            cells = [title if i == 0 else "", server, f"{s['per_second']:,.0f}",
                     fmt(ratio(s["per_second"], nginx.get("per_second")), ".2f"),
                     f"{fmt(s['p50_ms'], '.2f')} / {fmt(s['p99_ms'], '.2f')}" if wrk else "",
                     f"{s['errors']} / {s['timeouts']}" if wrk else "",
                     probe_cell(s) if wrk else "",
                     fmt(s["cpu_us_per_request"], ".1f"), fmt(s["switches_per_request"], ".2f"),
                     f"{s['peak_rss_kb'] / 1024:.1f}"]
            lines.append("| " + " | ".join(cells) + " |")
    path.write_text("\n".join(lines) + "\n")


def write_csv(results, path):
    columns = ["section", "mode", "connections", "server", "round", "per_second", "requests",
               "p50_ms", "p99_ms", "max_ms", "connect_errors", "read_errors", "write_errors",
               "status_errors", "timeouts", "probes", "unanswered_probes", "slowest_probe_ms",
               "context_switches", "cpu_seconds", "peak_rss_kb", "note"]
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for r in results:
            d = r.detail
            writer.writerow([r.section, r.mode, r.connections, r.server, r.round,
                             f"{r.per_second:.1f}", r.requests, fmt(r.p50_ms, ".3f", ""),
                             fmt(r.p99_ms, ".3f", ""),
                             f"{d['max_us'] / 1000:.3f}" if d else "",
                             d.get("connect_errors", ""), d.get("read_errors", ""),
                             d.get("write_errors", ""), d.get("status_errors", ""),
                             d.get("timeouts", ""), r.probes if d else "",
                             r.unanswered if d else "", fmt(r.probe_ms, ".3f", ""),
                             fmt(r.switches, "d", ""), fmt(r.cpu_seconds, ".3f", ""),
                             r.peak_rss_kb, r.note])


def draw_chart(summary, order):
    """Writes build/bench/requests.dat and has gnuplot draw requests.png from it."""
    servers = [s for s in order if any(s in by_server for by_server in summary.values())]
    lines = ['"configuration" ' + " ".join(f'"{s}" "low" "high" "lost"' for s in servers)]
    for (section, mode, connections), by_server in summary.items():
        if section == "handshake":
            continue  # another unit, a hundred times smaller: the table has them
        label = {"http": "", "https": "HTTPS "}[section] + \
            ("keep-alive" if mode == "keep-alive" else "close") + f"\\n{connections} conns"
        cells = []
        for server in servers:
            s = by_server.get(server)
            cells += [f"{s['per_second']:.0f}", f"{min(s['runs']):.0f}", f"{max(s['runs']):.0f}",
                      "1" if s["unanswered"] else "0"] if s else ["NaN"] * 4
        lines.append(f'"{label}" ' + " ".join(cells))
    (OUT / "requests.dat").write_text("\n".join(lines) + "\n")
    done = subprocess.run(["gnuplot", "-e", f"servers={len(servers)}; configurations={len(lines) - 1}",
                           "bench/requests.gp"],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        print(f"gnuplot failed: {done.stderr.strip()}")
        return False
    return True


# ---------------------------------------------------------------------------

def cpu_times():
    """(idle, steal, total) clock ticks of all CPUs since boot, from the
    first line of /proc/stat: user nice system idle iowait irq softirq steal."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    return ticks[3] + ticks[4], ticks[7], sum(ticks)


def warn_if_busy(seconds=1.0):
    """Other programs busy on the CPUs make every number noisy: say so.

    Measured over the next second, not with the load average, which still
    remembers the compiler that `make bench` ran a moment ago. "Stolen" is
    time a virtual machine's CPUs were ready to run but the host ran
    someone else: neighbours we cannot see, and cannot stop."""
    idle, steal, total = cpu_times()
    time.sleep(seconds)
    idle2, steal2, total2 = cpu_times()
    elapsed = max(total2 - total, 1)
    busy, stolen = 1 - (idle2 - idle) / elapsed, (steal2 - steal) / elapsed
    if busy > 0.25 or stolen > 0.05:
        print(f"note: the machine is busy ({busy:.0%} of its {os.cpu_count()} cores in use,"
              f" {stolen:.0%} stolen by the host) before the first run: expect noisy numbers,"
              " and compare the two runs of each configuration")


def discover_stages():
    """{N: build/stageN/server} for every stages/NN-name folder."""
    stages = {}
    for folder in sorted(Path("stages").glob("[0-9][0-9]-*")):
        stages[int(folder.name[:2])] = Path("build", f"stage{int(folder.name[:2])}", "server")
    return stages


def main():
    parser = argparse.ArgumentParser(description="The benchmark ladder (make bench).")
    parser.add_argument("--seconds", type=int, default=3, help="length of one wrk run (default 3)")
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parent.parent)  # paths below are relative to the repo
    # Ctrl-C raises KeyboardInterrupt; make SIGTERM and SIGHUP end the run the same way,
    # so that the `finally` below stops every server.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))

    stages = discover_stages()
    for n, binary in stages.items():
        if not binary.exists():
            raise BenchError(f"{binary} is missing: run `make stage{n}` (make bench builds it)")
    http_stages = [n for n in stages if 2 <= n < TLS_FROM_STAGE]
    tls_stages = [n for n in stages if n >= TLS_FROM_STAGE]
    if 1 in stages:
        print("stage 1 echoes raw TCP bytes, it does not speak HTTP: not benchmarked")

    OUT.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        peers = [Peer(f"stage {n}", [str(stages[n]), "--port", "0"], route=route_for_stage(n))
                 for n in http_stages]
        peers.append(Peer("python", [sys.executable, "bench/python_server.py", "--port", "0"]))
        peers.append(nginx_peer("nginx", "nginx.conf", scratch))
        peers.append(nginx_peer("nginx 5w", "nginx.conf", scratch, workers=POOL_THREADS))
        order = ["nginx", "nginx 5w", "python"] + [f"stage {n}" for n in stages]  # table order

        tls_peers = []
        if tls_stages:
            if not (CERT.exists() and KEY.exists()):
                subprocess.run(["make", "--no-print-directory", "certs"], check=False)
            if CERT.exists() and KEY.exists():
                tls_peers = [Peer(f"stage {n}", [str(stages[n]), "--port", "0", "--cert", str(CERT),
                                                 "--key", str(KEY)], route=route_for_stage(n),
                                   scheme="https")
                             for n in tls_stages]
                for name, workers in (("nginx", 1), ("nginx 5w", POOL_THREADS)):
                    tls_peers.append(nginx_peer(name, "nginx-tls.conf", scratch, workers=workers,
                                                CERT=CERT.resolve(), KEY=KEY.resolve()))
            else:
                print(f"no {CERT} (make certs): TLS part skipped")

        runs = len(peers) * len(MODES) * len(CONNECTIONS) * ROUNDS + len(tls_peers) * 2 * ROUNDS
        print(f"{runs} runs of {args.seconds} s, about {runs * (args.seconds + 0.5) / 60:.1f} min;"
              f" wrk -t{WRK_THREADS} --timeout {WRK_TIMEOUT}, route {BODY_ROUTE}, 127.0.0.1 only",
              flush=True)
        warn_if_busy()
        progress = Progress(runs)
        results = ladder(peers, scratch, args.seconds, progress)

        print(f"\nConcurrency: {DEMO_CLIENTS} clients call GET /delay/{DEMO_DELAY_MS} at once"
              f" (served one at a time: {DEMO_CLIENTS * DEMO_DELAY_MS / 1000:.1f} s;"
              f" five at a time: {DEMO_CLIENTS * DEMO_DELAY_MS / 5000:.1f} s)")
        # /delay arrives with the pool, so "one at a time" is the same stage
        # with one worker (stage 5 and earlier have no slow route to call).
        demo_peers = []
        for n in (n for n in stages if n >= DEMO_FROM_STAGE):
            peer = next(p for p in peers + tls_peers if p.name == f"stage {n}")
            if n == DEMO_FROM_STAGE:
                demo_peers.append(Peer(f"stage {n}, --threads 1", peer.argv + ["--threads", "1"]))
            demo_peers.append(peer)
        if not demo_peers:
            print(f"  stage {DEMO_FROM_STAGE}: not written yet, skipped")
        for peer in demo_peers:
            delay_demo(peer, scratch)

        print(f"\nStalls: {STALL_CONNECTIONS} new connections one after another, two requests"
              f" on each ({STALL_MS} ms or more is Nagle meeting a delayed ACK)")
        stall_peers = [p for p in peers if p.name in ("nginx", f"stage {TLS_FROM_STAGE - 1}")]
        stall_peers += [p for p in tls_peers if p.name != "nginx 5w"]
        stalls = {(p.scheme, p.name): stall_check(p, scratch) for p in stall_peers}

        if tls_peers:
            print("\nTLS: HTTPS keep-alive and new handshakes, against nginx with the same certificate")
            results += tls(tls_peers, scratch, args.seconds, progress)
        else:
            print(f"\nTLS: stage {TLS_FROM_STAGE} not written yet, skipped")

        summary = summarize(results)
        print_table(summary, order, args.seconds)
        print_targets(summary, stalls)
        write_csv(results, OUT / "results.csv")
        write_markdown(summary, order, OUT / "results.md")
        print(f"\nWrote {OUT}/results.csv, {OUT}/results.md", end="")
        if draw_chart(summary, order):
            print(f" and {OUT}/requests.png", end="")
        print()
    finally:
        for server in list(RUNNING):
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nbench: interrupted; every server it started is stopped", file=sys.stderr)
        sys.exit(130)
