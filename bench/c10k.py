#!/usr/bin/env python3
"""Holds thousands of idle keep-alive connections to an HTTP server.

    python3 bench/c10k.py http://127.0.0.1:8080 [COUNT]

Opens COUNT connections (10,000 by default, the figure of the C10K
problem), a few hundred at a time, and sends one GET on each; a connection
that gets its answer is kept open, idle. Then it times a fresh client's
request, and counts how many held connections the server has closed
meanwhile. One thread and one selector serve all of them: the client side
of an event loop. `make bench` runs it as its "hold" section.
"""

import re
import resource
import select
import selectors
import socket
import sys
import time
from dataclasses import dataclass, field

COUNT = 10_000
IN_FLIGHT = 500     # opened at once: far below the server's listen backlog (somaxconn),
                    # which would drop the excess handshakes and retry them a second later
PATIENCE_S = 2      # no answer for this long: the connections left are waiting for one
SPARE_FILES = 64    # descriptors kept free for everything else this process opens
CHUNK = 4096        # one recv: the whole small answer
ROUTE = "/hello/bench"


@dataclass
class Held:
    """The connections of one hold, by how the server treated them."""
    answered: list = field(default_factory=list)  # answered once, then kept open and idle
    waiting: list = field(default_factory=list)   # accepted, or queued, but not answered
    refused: int = 0   # refused, closed, reset, or answered with an error status
    untried: int = 0   # not opened: the server had stopped answering before
    seconds: float = 0.0  # how long opening them took

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        for sock in self.answered + self.waiting:
            sock.close()


def raise_fd_limit(wanted):
    """Every connection is a descriptor, and the soft limit is often 1024: lift
    it to the hard limit, as a server does. Returns how many connections fit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return min(wanted, hard - SPARE_FILES)


def request(host, path):
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


def hold(address, count, path=ROUTE):
    """Opens COUNT connections to ADDRESS, IN_FLIGHT at a time, sends a GET on
    each and waits for its answer. Stops early when nothing has happened for
    PATIENCE_S: the server is leaving the rest waiting."""
    held, selector = Held(), selectors.DefaultSelector()
    began = progress = time.monotonic()
    opened = 0
    while (opened < count or selector.get_map()) and time.monotonic() - progress < PATIENCE_S:
        while opened < count and len(selector.get_map()) < IN_FLIGHT:
            selector.register(start_connecting(address), selectors.EVENT_WRITE, bytearray())
            opened += 1
        for key, events in selector.select(timeout=0.1):
            progress = time.monotonic()
            step(key, events, selector, held, request(address[0], path))
    held.waiting = [key.fileobj for key in selector.get_map().values()]
    held.untried = count - opened
    held.seconds = time.monotonic() - began
    selector.close()
    return held


def start_connecting(address):
    sock = socket.socket()
    sock.setblocking(False)
    sock.connect_ex(address)  # EINPROGRESS: writable once connected, or failed
    return sock


def step(key, events, selector, held, request_bytes):
    """One event on a connection: connected (send the request), or answer bytes."""
    sock, answer = key.fileobj, key.data
    if events & selectors.EVENT_WRITE:
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            sock.send(request_bytes)  # a few bytes: the socket's buffer takes them whole
            selector.modify(sock, selectors.EVENT_READ, answer)
            return
        chunk = b""
    else:
        try:
            chunk = sock.recv(CHUNK)
        except ConnectionError:
            chunk = b""
    answer += chunk
    status = response_status(answer)
    if chunk and status is None:
        return  # more of the answer to come
    selector.unregister(sock)
    if status == 200:
        held.answered.append(sock)
    else:
        held.refused += 1
        sock.close()


def response_status(answer):
    """The status code once ANSWER holds a whole response, else None."""
    head, found, body = bytes(answer).partition(b"\r\n\r\n")
    if not found:
        return None
    length = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
    if length and len(body) < int(length.group(1)):
        return None
    return int(head.split(b" ", 2)[1])


def count_open(sockets):
    """How many of SOCKETS the server has not closed. The server sends
    nothing on an idle connection, so one that polls readable was closed."""
    poller = select.poll()
    for sock in sockets:
        poller.register(sock, select.POLLIN | select.POLLRDHUP)
    return len(sockets) - len(poller.poll(0))


def timed_request(address, path=ROUTE, timeout=2.0):
    """A fresh connection and one GET: (status, seconds), connecting included;
    status None when no whole answer came within TIMEOUT."""
    began = time.monotonic()
    answer = bytearray()
    try:
        with socket.create_connection(address, timeout=timeout) as sock:
            sock.sendall(request(address[0], path))
            while response_status(answer) is None:
                chunk = sock.recv(CHUNK)
                if not chunk:
                    break
                answer += chunk
    except OSError:
        pass
    return response_status(answer), time.monotonic() - began


def main():
    if len(sys.argv) not in (2, 3) or "://" not in sys.argv[1]:
        sys.exit(__doc__.split("\n\n")[1])
    host, port = sys.argv[1].split("://")[1].rstrip("/").rsplit(":", 1)
    count = raise_fd_limit(int(sys.argv[2]) if len(sys.argv) == 3 else COUNT)
    with hold((host, int(port)), count) as held:
        print(f"{len(held.answered):,} answered and held, {len(held.waiting):,} waiting,"
              f" {held.refused:,} refused, {held.untried:,} not tried, in {held.seconds:.1f} s")
        status, seconds = timed_request((host, int(port)))
        print(f"a fresh request: {status or 'no answer'} in {seconds * 1000:.1f} ms")
        print(f"{count_open(held.answered):,} of the answered still open")


if __name__ == "__main__":
    main()
