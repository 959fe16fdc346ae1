"""The servers under test: what to start, and starting, watching and
stopping one (bench/run.py decides which, and when)."""

import os
import re
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

NGINX_OWN_FILES = 16         # descriptors nginx opens besides connections: logs, listeners
READY_WITHIN_S = 10          # a server not listening by then has failed to start
STOP_WITHIN_S = 5            # SIGTERM, then SIGKILL after this long


class BenchError(Exception):
    pass


@dataclass
class Peer:
    """A server to measure: its command line, and how to reach it."""
    name: str                  # "stage 6", "nginx", "python"
    argv: list
    scheme: str = "http"
    port: int = 0              # nginx's, fixed in its config; 0: read `listening on URL`
    error_log: Path = None     # nginx's, shown when it fails to start


def nginx_peer(name, scratch, scheme, connections, workers=1, cert=None, key=None):
    """nginx with bench/nginx.conf (or nginx-tls.conf, with CERT and KEY),
    its @WORDS@ filled in, with room for CONNECTIONS clients. nginx closes
    idle keep-alive connections to make room once fewer than 1/16 of its
    worker_connections are free, so it gets an eighth more than it holds."""
    folder = Path(tempfile.mkdtemp(prefix="nginx-", dir=scratch))
    port = free_port()
    room = connections + connections // 8
    words = {"DIR": folder, "PORT": port, "WORKERS": workers, "CONNECTIONS": room,
             "FILES": room + NGINX_OWN_FILES, "CERT": cert, "KEY": key}
    text = Path("bench", "nginx-tls.conf" if scheme == "https" else "nginx.conf").read_text()
    for word, value in words.items():
        text = text.replace(f"@{word}@", str(value))
    (folder / "nginx.conf").write_text(text)
    argv = ["nginx", "-p", str(folder), "-e", str(folder / "error.log"),
            "-c", str(folder / "nginx.conf")]
    return Peer(name, argv, scheme, port, folder / "error.log")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A server we started. `with Server(peer, scratch) as server:` stops it
    on every path; after that, `cpu_s` and `switches` hold its CPU time and
    context switches over its whole life (all its threads, and the children
    it reaped: nginx's workers), from wait4's rusage."""

    def __init__(self, peer, scratch):
        self.peer, self.cpu_s, self.switches = peer, None, None
        self.stdout = scratch / (peer.name.replace(" ", "-") + ".out")
        with open(self.stdout, "w") as stdout:  # stderr: a log line per request, not needed
            self.process = subprocess.Popen(peer.argv, stdin=subprocess.DEVNULL, stdout=stdout,
                                            stderr=subprocess.DEVNULL)
        try:
            self.url = self.wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.stop()

    def address(self):
        host, port = self.url.split("://")[1].rsplit(":", 1)
        return host, int(port)

    def wait_until_ready(self, seconds=READY_WITHIN_S):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.peer.name} exited at start"
                                 f" (code {self.process.returncode}){self.error_log()}")
            url = self.knock() if self.peer.port else self.listening_line()
            if url:
                return url
            time.sleep(0.02)
        raise BenchError(f"{self.peer.name} was not ready within {seconds} s")

    def knock(self):
        """nginx prints nothing: its URL once its port takes connections."""
        try:
            socket.create_connection(("127.0.0.1", self.peer.port), timeout=1).close()
            return f"{self.peer.scheme}://127.0.0.1:{self.peer.port}"
        except OSError:
            return None

    def listening_line(self):
        """The course's servers (and python_server.py) first print `listening on URL`."""
        line, newline, _ = self.stdout.read_text().partition("\n")
        if not newline:
            return None
        match = re.fullmatch(r"listening on (\w+://[\w.:\[\]-]+)", line)
        if not match:
            raise BenchError(f"{self.peer.name}: unexpected first line {line!r}")
        return match.group(1)

    def error_log(self):
        log = self.peer.error_log
        return f":\n{log.read_text()[-2000:]}" if log and log.exists() else ""

    def memory_kb(self, what):
        """VmRSS (now) or VmHWM (the peak) of the server and its children."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        pids = [pid, *map(int, children.read_text().split())] if children.exists() else [pid]
        return sum(status_kb(p, what) for p in pids)

    def stop(self):
        """SIGTERM, which the servers handle by finishing what is in flight."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        deadline = time.monotonic() + STOP_WITHIN_S
        while time.monotonic() < deadline:
            pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
            if pid:
                self.process.returncode = os.waitstatus_to_exitcode(status)
                self.cpu_s = usage.ru_utime + usage.ru_stime
                self.switches = usage.ru_nvcsw + usage.ru_nivcsw
                return
            time.sleep(0.01)
        self.process.kill()
        self.process.wait()


def status_kb(pid, what):
    try:
        match = re.search(rf"^{what}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(),
                          re.MULTILINE)
        return int(match.group(1)) if match else 0
    except OSError:
        return 0
