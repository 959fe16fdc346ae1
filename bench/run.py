#!/usr/bin/env python3
"""`make bench`: the course's servers under load, beside nginx and Python.

Everything runs on 127.0.0.1, and every server is started fresh for each run:

  http    wrk with keep-alive and with `Connection: close` at 5 and 50
          connections, and keep-alive at 1000;
  demo    10 clients call GET /delay/200 at once while one more asks for
          /hello/bench: how a slow route shares the server;
  stalls  fresh connections, two requests each, timed one by one: a 40 ms
          answer is Nagle's algorithm meeting a delayed ACK;
  tls     HTTPS keep-alive (wrk) and new handshakes per second (openssl
          s_time), against nginx with the same certificate;
  hold    10,000 idle keep-alive connections (bench/c10k.py), fresh clients
          timed meanwhile, and the server's memory.

Then the table and the event-loop stage's targets (bench/report.py shows
them), and build/bench/results.csv, results.md and requests.png.

Usage: python3 bench/run.py [--full] [--seconds N] [--only SECTION,...]
"""

import argparse
import http.client
import os
import re
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import c10k
import report
from servers import BenchError, Peer, Server, nginx_peer

# ---------------------------------------------------------------------------
# What is measured, and why these numbers.

ROUTE = "/hello/bench"       # every server answers it with the same 14 bytes
SECONDS, FULL_SECONDS = 3, 5  # one wrk run: long enough for its percentiles to settle
ROUNDS, FULL_ROUNDS = 2, 3   # runs per configuration (the table shows their median);
                             # each round runs the servers in the reverse order
WRK_THREADS = 1              # two cores: one for wrk, one for the server
WRK_TIMEOUT_S = 2            # an answer slower than this is a timeout
MANY = 1000                  # keep-alive connections: more than a pool of workers can hold
PROBE_EVERY_S = 0.25         # while wrk runs, one more client this often...
PROBE_TIMEOUT_S = 2          # ...counted as lost when unanswered for this long

POOL_STAGE = 6               # a blocking worker per busy connection: what stage 8 replaces
TLS_FROM_STAGE = 7           # from here on, the stages speak HTTPS by default
PLAIN_FROM_STAGE = 8         # and from here on, `--plain` serves plain HTTP again
LOOP_STAGE = 8               # the event loop: the targets are its
DEFAULT_STAGES = (POOL_STAGE, TLS_FROM_STAGE, LOOP_STAGE)  # --full runs every stage
POOL_THREADS = 5             # the stages' default --threads; "nginx 5w" gets as many workers

DEMO_CLIENTS = 10            # twice the pool: a second wave has to wait for the first
DEMO_DELAY_MS = 200          # long beside a request's microseconds, and over in a second
STALL_CONNECTIONS = 20       # a stall comes once per connection: count on fresh ones
STALL_MS = 35                # Nagle + a delayed ACK costs about 40 ms: above this is one

HOLD_IDLE_TIMEOUT_S = 75     # nginx's default keepalive_timeout; the stages' 5 s would
                             # close the held connections before the check ends
HOLD_FRESH_CLIENTS = 5       # fresh requests timed while the others are held; median shown

SPARE_CONNECTIONS = 64       # room above a run's clients: probes, fresh clients, listeners

OUT = Path("build/bench")
CERT, KEY = Path("build/certs/cert.pem"), Path("build/certs/key.pem")
SECTIONS = ("http", "demo", "stalls", "tls", "hold")


@dataclass(frozen=True)
class Config:
    """One load: "http" or "https" with wrk, or "handshakes" with openssl s_time."""
    section: str
    mode: str = "keep-alive"   # or "close": `Connection: close` on every request
    connections: int = 5

    def uses_wrk(self):
        return self.section != "handshakes"

    def title(self):
        if not self.uses_wrk():
            return "HTTPS, new TLS handshakes (openssl s_time -new)"
        mode = "keep-alive" if self.mode == "keep-alive" else "Connection: close"
        return f"{'HTTPS, ' if self.section == 'https' else ''}{mode}, {self.connections} connections"


KA5, KA50, KA_MANY = (Config("http", "keep-alive", n) for n in (5, 50, MANY))
CLOSE5, CLOSE50 = (Config("http", "close", n) for n in (5, 50))
HTTP_CONFIGS = (KA5, KA50, KA_MANY, CLOSE5, CLOSE50)
HTTPS = Config("https")
HANDSHAKES = Config("handshakes", "new", 1)

# The event-loop stage's targets: ratios to nginx with one worker, in the same run.
AT_LEAST = {KA5: 1.0, KA50: 1.0, KA_MANY: 0.9, CLOSE5: 1.0, CLOSE50: 1.0,
            HTTPS: 0.9, HANDSHAKES: 0.9}  # x nginx's requests (or handshakes) per second
P99_AT_MOST = 1.5            # x nginx's p99, in every wrk configuration
CPU_AT_MOST = 1.2            # x nginx's CPU time per request, keep-alive at 5 connections
FRESH_REQUEST_MS = 20        # a fresh client's answer while 10,000 connections are held
HOLD_RSS_AT_MOST = 2.0       # x nginx's resident memory while holding them


# ---------------------------------------------------------------------------
# The servers (bench/servers.py starts and stops them).

def stage_peer(n, binary, scheme, *flags):
    """Stage N: plain HTTP up to stage 6, HTTPS from 7, and `--plain` HTTP from 8."""
    argv = [str(binary), "--port", "0", *flags]
    if scheme == "https":
        argv += ["--cert", str(CERT), "--key", str(KEY)]
    elif n >= PLAIN_FROM_STAGE:
        argv.append("--plain")
    return Peer(f"stage {n}", argv, scheme)


# ---------------------------------------------------------------------------
# Clients beside wrk: one request at a time, timed.

def connect(url, timeout):
    """An http.client connection (TCP_NODELAY set, so a delay it sees is the
    server's); over TLS for https://, encrypted but not verified: the
    certificate is self-signed."""
    scheme, address = url.split("://")
    host, port = address.rsplit(":", 1)
    if scheme == "https":
        return http.client.HTTPSConnection(host, int(port), timeout=timeout,
                                           context=ssl._create_unverified_context())
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def timed_request(url, path=ROUTE, timeout=PROBE_TIMEOUT_S):
    """One GET on a fresh connection: (status, seconds); status None: no answer."""
    connection = connect(url, timeout)
    began = time.monotonic()
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - began
    except (OSError, http.client.HTTPException):
        return None, time.monotonic() - began
    finally:
        connection.close()


class Probe(threading.Thread):
    """One more client while wrk runs: a fresh connection every PROBE_EVERY_S.

    When its run ends, wrk drops the connections still waiting without a
    word, so a server that serves some clients and leaves the others waiting
    looks fine in wrk's numbers. This client comes and goes like a browser."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.waits, self.finished = url, [], threading.Event()

    def run(self):
        while not self.finished.wait(PROBE_EVERY_S):
            status, seconds = timed_request(self.url)
            self.waits.append(seconds if status else None)

    def stop(self):
        self.finished.set()
        self.join()


# ---------------------------------------------------------------------------
# One run of wrk or of openssl s_time, against a fresh server.

@dataclass
class Run:
    config: Config
    server: str
    round: int
    requests: int = 0
    per_second: float = 0.0
    p50_ms: float = None
    p99_ms: float = None
    max_ms: float = None
    errors: int = 0            # wrk's socket errors and non-2xx/3xx answers
    timeouts: int = 0
    probe_waits: list = field(default_factory=list)  # seconds each; None: lost
    cpu_s: float = None
    switches: int = None
    peak_rss_kb: int = 0
    note: str = ""


def run_wrk(peer, config, round_, seconds, scratch):
    argv = ["wrk", f"-t{WRK_THREADS}", f"-c{config.connections}", f"-d{seconds}s",
            "--timeout", f"{WRK_TIMEOUT_S}s", "-s", "bench/report.lua"]
    if config.mode == "close":
        argv += ["-H", "Connection: close"]
    with Server(peer, scratch) as server:
        probe = Probe(server.url)
        probe.start()
        try:
            done = subprocess.run(argv + [server.url + ROUTE], capture_output=True, text=True,
                                  timeout=seconds + 30)
        finally:
            probe.stop()
        peak_rss_kb = server.memory_kb("VmHWM")
        exited = server.process.poll()
    numbers = wrk_numbers(done)
    run = Run(config, peer.name, round_, numbers["requests"],
              numbers["requests"] / (numbers["duration_us"] / 1e6),
              errors=sum(numbers[f"{k}_errors"] for k in ("connect", "read", "write", "status")),
              timeouts=numbers["timeouts"], probe_waits=probe.waits, cpu_s=server.cpu_s,
              switches=server.switches, peak_rss_kb=peak_rss_kb)
    if numbers["requests"]:
        run.p50_ms, run.p99_ms, run.max_ms = (numbers[f"{k}_us"] / 1000 for k in ("p50", "p99", "max"))
    if exited is not None:
        run.note = f"exited during the run (code {exited})"
    return run


def wrk_numbers(done):
    """The `BENCH key=value ...` line that bench/report.lua makes wrk print."""
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            return {key: int(value) for key, value in (pair.split("=") for pair in line.split()[1:])}
    raise BenchError(f"wrk printed no result: {done.stdout.strip()} {done.stderr.strip()}")


def run_handshakes(peer, round_, seconds, scratch):
    """New TLS handshakes per second from one `openssl s_time -new` client."""
    with Server(peer, scratch) as server:
        began = time.monotonic()
        done = subprocess.run(["openssl", "s_time", "-connect", server.url.split("://")[1],
                               "-new", "-time", str(seconds)],
                              capture_output=True, text=True, timeout=seconds + 30)
        elapsed = time.monotonic() - began
        peak_rss_kb = server.memory_kb("VmHWM")
    match = re.search(r"(\d+) connections in", done.stdout)
    if not match:
        raise BenchError(f"openssl s_time printed no result: {done.stdout} {done.stderr}")
    handshakes = int(match.group(1))
    return Run(HANDSHAKES, peer.name, round_, handshakes, handshakes / elapsed,
               cpu_s=server.cpu_s, switches=server.switches, peak_rss_kb=peak_rss_kb)


def plan_runs(configs, peers, rounds):
    """(config, round, peer) in the order they run: each round in the reverse
    order of the one before, so drift of the machine shows between rounds."""
    plan = []
    for config in configs:
        chosen = [peer for peer in peers if runs_at(config, peer)]
        for round_ in range(1, rounds + 1):
            plan += [(config, round_, peer) for peer in (chosen if round_ % 2 else chosen[::-1])]
    return plan


def runs_at(config, peer):
    """At MANY connections, only nginx and the stages from the pool on: Python's
    server listens with a backlog of 5 and stages 2-5 serve one connection at a
    time, so they would only add wrk's timeouts to wait through."""
    return config != KA_MANY or peer.name.startswith("nginx") or stage_number(peer) >= POOL_STAGE


def stage_number(peer):
    return int(peer.name.split()[1]) if peer.name.startswith("stage ") else 0


def run_plan(plan, seconds, scratch):
    runs = []
    for i, (config, round_, peer) in enumerate(plan, 1):
        if config.uses_wrk():
            run = run_wrk(peer, config, round_, seconds, scratch)
        else:
            run = run_handshakes(peer, round_, seconds, scratch)
        print(f"[{i:2}/{len(plan)}] {progress_line(run)}", flush=True)
        runs.append(run)
    return runs


def progress_line(run):
    config = run.config
    line = (f"{config.section:10} {config.mode:10} {config.connections:>4}  run {run.round}"
            f"  {run.server:8} {run.per_second:9,.0f}/s")
    if config.uses_wrk():
        line += (f"  p99 {report.fmt(run.p99_ms, '.2f')} ms  errors {run.errors}  timeouts"
                 f" {run.timeouts}  new conn {report.probe_cell(run.probe_waits)}")
    return f"{line}  {run.note}"


# ---------------------------------------------------------------------------
# The checks that are not wrk: slow routes, stalls, and 10,000 idle clients.

def delay_demo(peer, scratch):
    """DEMO_CLIENTS clients call GET /delay/DEMO_DELAY_MS at once; a quarter of
    the delay later, one more client asks for ROUTE. Returns the line to show."""
    with Server(peer, scratch) as server:
        start = threading.Barrier(DEMO_CLIENTS + 2)
        answers = [None] * (DEMO_CLIENTS + 1)

        def client(i, path, wait_s):
            start.wait()
            time.sleep(wait_s)
            answers[i] = timed_request(server.url, path, timeout=15)

        threads = [threading.Thread(target=client, args=(i, f"/delay/{DEMO_DELAY_MS}", 0))
                   for i in range(DEMO_CLIENTS)]
        threads.append(threading.Thread(target=client,
                                        args=(DEMO_CLIENTS, ROUTE, DEMO_DELAY_MS / 4000)))
        for thread in threads:
            thread.start()
        start.wait()
        for thread in threads:
            thread.join()
    slow, fast = answers[:DEMO_CLIENTS], answers[DEMO_CLIENTS]
    failed = sum(status != 200 for status, _ in slow)
    return (f"{peer.name:20} {DEMO_CLIENTS} slow clients done in"
            f" {max(seconds for _, seconds in slow):.2f} s{f' ({failed} failed)' if failed else ''};"
            f" {ROUTE} meanwhile: {report.answer_cell(*fast)}")


def stall_check(peer, scratch):
    """Times two requests on each of STALL_CONNECTIONS fresh connections: the
    first right after the handshakes, the second on the kept-alive
    connection. Two small writes in a row from the server meet Nagle's
    algorithm and the client's delayed ACK: that answer waits about 40 ms,
    which wrk's percentiles hide when it happens once per connection."""
    times = []
    with Server(peer, scratch) as server:
        for _ in range(STALL_CONNECTIONS):
            connection = connect(server.url, timeout=5)
            try:
                connection.connect()  # the handshakes, left out of the timing
                for _ in range(2):
                    began = time.monotonic()
                    connection.request("GET", ROUTE)
                    connection.getresponse().read()
                    times.append((time.monotonic() - began) * 1000)
            except (OSError, http.client.HTTPException):
                times.append(float("inf"))
            finally:
                connection.close()
    slow = sum(t >= STALL_MS for t in times)
    return (f"{peer.name:8} {peer.scheme:5} median {statistics.median(times):5.2f} ms,"
            f" slowest {max(times):6.2f} ms: {slow} of {len(times)} took >= {STALL_MS} ms")


@dataclass
class Hold:
    """What one server did with the hold check's connections (bench/c10k.py)."""
    server: str
    answered: int              # answered once, then idle
    waiting: int               # accepted or queued, never answered
    refused: int
    untried: int               # not opened: the server had stopped answering
    still_open: int            # of the answered, after the fresh clients came
    fresh: list                # (status, seconds) per fresh client
    rss_kb: int                # the server's resident memory while holding them
    seconds: float             # how long opening them took

    def fresh_ms(self):
        """The fresh clients' median, when every one of them got its 200."""
        if any(status != 200 for status, _ in self.fresh):
            return None
        return statistics.median(seconds * 1000 for _, seconds in self.fresh)


def hold_check(peer, scratch, count):
    with Server(peer, scratch) as server:
        with c10k.hold(server.address(), count, ROUTE) as held:
            fresh = [c10k.timed_request(server.address(), ROUTE, PROBE_TIMEOUT_S)
                     for _ in range(HOLD_FRESH_CLIENTS)]
            rss_kb = server.memory_kb("VmRSS")
            still_open = c10k.count_open(held.answered)
    return Hold(peer.name, len(held.answered), len(held.waiting), held.refused, held.untried,
                still_open, fresh, rss_kb, held.seconds)


def hold_peers(stages, scratch, count):
    """nginx, the pool stage and the loop stage, each with room for COUNT
    idle connections and an idle timeout longer than the check."""
    peers = [nginx_peer("nginx", scratch, "http", count + SPARE_CONNECTIONS)]
    for n in (POOL_STAGE, LOOP_STAGE):
        if n in stages:
            flags = ["--idle-timeout", str(HOLD_IDLE_TIMEOUT_S)]
            if n >= PLAIN_FROM_STAGE:
                flags += ["--max-connections", str(count + SPARE_CONNECTIONS)]
            peers.append(stage_peer(n, stages[n], "http", *flags))
    return peers


# ---------------------------------------------------------------------------
# The targets.

def loop_targets(summary, holds, count):
    """(what, figure, met) for each of the event-loop stage's targets."""
    loop = f"stage {LOOP_STAGE}"

    def x_nginx(config, what):
        by_server = summary.get(config, {})
        return report.ratio(by_server.get(loop, {}).get(what), by_server.get("nginx", {}).get(what))

    def target(what, value, met, shown=lambda v: f"{v:.2f}x"):
        return (what, "no data", None) if value is None else (what, shown(value), met(value))

    for config, floor in AT_LEAST.items():
        yield target(f"{config.title()}: >= {floor}x nginx", x_nginx(config, "per_second"),
                     lambda v: v >= floor)
    crowded = summary.get(KA_MANY, {}).get(loop)
    yield target(f"{KA_MANY.title()}: errors, timeouts",
                 crowded and (crowded["errors"], crowded["timeouts"]), lambda v: v == (0, 0),
                 lambda v: f"{v[0]}, {v[1]}")
    for config in HTTP_CONFIGS + (HTTPS,):
        yield target(f"p99, {config.title()}: <= {P99_AT_MOST}x nginx",
                     x_nginx(config, "p99_ms"), lambda v: v <= P99_AT_MOST)
    yield target(f"CPU us per request, {KA5.title()}: <= {CPU_AT_MOST}x nginx",
                 x_nginx(KA5, "cpu_us"), lambda v: v <= CPU_AT_MOST)
    hold, nginx = holds.get(loop), holds.get("nginx")
    yield target(f"{count:,} idle connections held: all still open", hold and hold.still_open,
                 lambda v: v == count, lambda v: f"{v:,}")
    yield target(f"meanwhile, a fresh request: < {FRESH_REQUEST_MS} ms", hold and hold.fresh_ms(),
                 lambda v: v < FRESH_REQUEST_MS, lambda v: f"{v:.1f} ms")
    yield target(f"RSS holding them: <= {HOLD_RSS_AT_MOST}x nginx's",
                 hold and nginx and report.ratio(hold.rss_kb, nginx.rss_kb),
                 lambda v: v <= HOLD_RSS_AT_MOST)


# ---------------------------------------------------------------------------
# The whole run.

def warn_if_busy():
    """Other programs on the CPUs make every number noisy: say so. Measured
    over the next second from /proc/stat (user nice system idle iowait irq
    softirq steal), not with the load average, which still remembers the
    compiler that ran a moment ago. Steal is time the host gave to other
    virtual machines while ours was ready to run."""
    def ticks():
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
        return values[3] + values[4], values[7], sum(values)
    idle, steal, total = ticks()
    time.sleep(1)
    idle2, steal2, total2 = ticks()
    elapsed = max(total2 - total, 1)
    busy, stolen = 1 - (idle2 - idle) / elapsed, (steal2 - steal) / elapsed
    if busy > 0.25 or stolen > 0.05:
        print(f"note: the machine is busy ({busy:.0%} of its {os.cpu_count()} cores in use,"
              f" {stolen:.0%} stolen by the host): expect noisy numbers, and compare the runs")


def discover_stages(full):
    """{N: its binary} for each stages/NN-name folder (not stage 1, which
    echoes raw TCP); without --full, only DEFAULT_STAGES."""
    stages = {}
    for folder in sorted(Path("stages").glob("[0-9][0-9]-*")):
        n = int(folder.name[:2])
        binary = Path("build", f"stage{n}", "server")
        if n >= 2 and (full or n in DEFAULT_STAGES):
            if not binary.exists():
                raise BenchError(f"{binary} is missing: run `make stage{n}` (make bench builds it)")
            stages[n] = binary
    return stages


def make_peers(stages, scratch):
    """The servers of the HTTP sections and of the TLS ones, in the table's order."""
    room = MANY + SPARE_CONNECTIONS
    http = [nginx_peer("nginx", scratch, "http", room),
            nginx_peer("nginx 5w", scratch, "http", room, workers=POOL_THREADS),
            Peer("python", [sys.executable, "bench/python_server.py", "--port", "0"])]
    http += [stage_peer(n, binary, "http") for n, binary in stages.items()
             if n < TLS_FROM_STAGE or n >= PLAIN_FROM_STAGE]
    tls = [nginx_peer(name, scratch, "https", room, workers, CERT.resolve(), KEY.resolve())
           for name, workers in (("nginx", 1), ("nginx 5w", POOL_THREADS))]
    tls += [stage_peer(n, binary, "https") for n, binary in stages.items() if n >= TLS_FROM_STAGE]
    return http, tls


def parse_args():
    parser = argparse.ArgumentParser(description="Load-tests the course's servers (make bench).")
    parser.add_argument("--full", action="store_true",
                        help=f"every stage, {FULL_ROUNDS} rounds of {FULL_SECONDS} s")
    parser.add_argument("--seconds", type=int, help=f"one wrk run (default {SECONDS})")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"some of the sections {','.join(SECTIONS)}")
    args = parser.parse_args()
    args.only = set(args.only.split(","))
    if not args.only <= set(SECTIONS):
        parser.error(f"--only takes some of {','.join(SECTIONS)}")
    args.rounds = FULL_ROUNDS if args.full else ROUNDS
    args.seconds = args.seconds or (FULL_SECONDS if args.full else SECONDS)
    return args


def main():
    args = parse_args()
    os.chdir(Path(__file__).resolve().parent.parent)  # the paths here are the repository's
    # Ctrl-C raises KeyboardInterrupt; SIGTERM and SIGHUP end the run the same
    # way, so that every `with Server` stops its server.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))
    stages = discover_stages(args.full)
    if not (CERT.exists() and KEY.exists()):
        subprocess.run(["make", "--no-print-directory", "certs"], check=True)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        measure(args, stages, Path(scratch))
    return 0


def measure(args, stages, scratch):
    http_peers, tls_peers = make_peers(stages, scratch)
    plan = plan_runs(HTTP_CONFIGS, http_peers, args.rounds) if "http" in args.only else []
    if "tls" in args.only:
        plan += plan_runs((HTTPS, HANDSHAKES), tls_peers, args.rounds)
    print(f"{len(plan)} runs of {args.seconds} s, wrk -t{WRK_THREADS} --timeout {WRK_TIMEOUT_S}s,"
          f" GET {ROUTE} on 127.0.0.1; stages {', '.join(map(str, stages))}", flush=True)
    warn_if_busy()
    runs = run_plan(plan, args.seconds, scratch)
    notes = demo_section(http_peers, scratch) if "demo" in args.only else []
    notes += stall_section(http_peers, tls_peers, scratch) if "stalls" in args.only else []
    count = c10k.raise_fd_limit(c10k.COUNT)
    holds = hold_section(stages, scratch, count) if "hold" in args.only else {}
    present(runs, holds, notes, ["nginx", "nginx 5w", "python", *(f"stage {n}" for n in stages)],
            count, LOOP_STAGE in stages)


def demo_section(http_peers, scratch):
    print(f"\nSlow routes: {DEMO_CLIENTS} clients call GET /delay/{DEMO_DELAY_MS} at once"
          f" (one at a time: {DEMO_CLIENTS * DEMO_DELAY_MS / 1000:.1f} s, {POOL_THREADS} at"
          f" a time: {DEMO_CLIENTS * DEMO_DELAY_MS / POOL_THREADS / 1000:.1f} s), and one"
          f" more asks for {ROUTE}")
    demo = [peer for peer in http_peers if stage_number(peer) >= POOL_STAGE]
    if demo:  # first the pool with one thread: one slow client at a time
        demo.insert(0, Peer(f"{demo[0].name} --threads 1", demo[0].argv + ["--threads", "1"]))
    return show(delay_demo(peer, scratch) for peer in demo)


def stall_section(http_peers, tls_peers, scratch):
    print(f"\nStalls: {STALL_CONNECTIONS} fresh connections, two requests on each"
          f" ({STALL_MS} ms or more: Nagle's algorithm meeting a delayed ACK)")
    checked = [p for p in http_peers if p.name == "nginx" or stage_number(p) >= POOL_STAGE]
    checked += [p for p in tls_peers if p.name != "nginx 5w"]
    return show(stall_check(peer, scratch) for peer in checked)


def hold_section(stages, scratch, count):
    print(f"\nC10K hold: {count:,} keep-alive connections, each answered once, then idle;"
          f" {HOLD_FRESH_CLIENTS} fresh clients meanwhile")
    holds = {}
    for peer in hold_peers(stages, scratch, count):
        holds[peer.name] = hold_check(peer, scratch, count)
        print(f"  {peer.name}: {holds[peer.name].answered:,} answered", flush=True)
    return holds


def show(lines):
    """Prints each line as it comes (each is a server's run), and keeps them."""
    kept = []
    for line in lines:
        print(f"  {line}", flush=True)
        kept.append(line)
    return kept


def present(runs, holds, notes, order, count, loop_ran):
    """The tables and the targets on the terminal, then the files."""
    summary = report.summarize(runs)
    if summary:
        report.print_table(summary, order)
    if holds:
        report.print_holds(holds, f"C10K hold ({count:,} connections; fresh request: the median"
                                  f" of {HOLD_FRESH_CLIENTS}; RSS: while holding them)")
    if loop_ran:
        report.print_targets(f"Targets for stage {LOOP_STAGE}, the event loop (x nginx: to nginx"
                             " with one worker, in this run):", loop_targets(summary, holds, count))
    else:
        print(f"\nStage {LOOP_STAGE}, the event loop, is not written yet: no targets to check.")
    report.write_csv(OUT / "results.csv", runs)
    report.write_markdown(OUT / "results.md", summary, order, holds, notes)
    chart = summary and report.draw_chart(OUT, summary, order)
    print(f"\nWrote {OUT}/results.csv, {OUT}/results.md" + (f", {OUT}/requests.png" if chart else ""))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nbench: interrupted; every server it started is stopped", file=sys.stderr)
        sys.exit(130)
