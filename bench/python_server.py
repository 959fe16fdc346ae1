#!/usr/bin/env python3
"""The Python reference peer for `make bench`.

The original tutorial wrote this server in Python with the standard
library's http.server; `make bench` runs it beside the C++ stages so the
table shows where the from-scratch server stands against it. It answers
every GET with the same small body as stage 3's GET /hello/bench, and
prints the same first line as the course's servers:

    listening on http://HOST:PORT

Usage: python3 bench/python_server.py [--host ADDR] [--port PORT]
"""

import argparse
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"Hello, bench!"


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections open (keep-alive) unless the client says
    # `Connection: close`; the default, HTTP/1.0, would close every one.
    protocol_version = "HTTP/1.1"
    # The headers and the body leave in two writes; without TCP_NODELAY,
    # Nagle's algorithm holds the second until the first is acknowledged,
    # and the client delays that ACK by up to 40 ms: 25 requests/s.
    disable_nagle_algorithm = True

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(BODY)))
        if self.close_connection:  # the client sent `Connection: close`
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(BODY)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    args = parser.parse_args()

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True  # do not wait for open connections on exit
    print(f"listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
