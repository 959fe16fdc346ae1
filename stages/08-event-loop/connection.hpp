// Serving one client connection: read requests, answer them, repeat, as far as that needs no wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http_request.hpp"
#include "fd.hpp"
#include "http_response.hpp"
#include "request_parser.hpp"
#include "stop_signal.hpp"
#include "stream.hpp"

// What the application does with a request. The connection code knows
// nothing about what the server is for; it only speaks HTTP. The request is
// not const: the router writes the path parameters it finds into it.
using Handler = std::function<HttpResponse(HttpRequest&)>;

struct ConnectionOptions {
    // How long a request may take to arrive once its first byte is here;
    // then 408 Request Timeout.
    std::chrono::milliseconds request_timeout = std::chrono::seconds(10);
    // How long a quiet keep-alive connection may wait for its next request
    // (holding no worker) before it is closed.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(5);
    // Whether a request's handler blocks (hashes a password, sleeps): then it runs on the pool.
    std::function<bool(const HttpRequest&)> blocks = [](const HttpRequest&) { return false; };
    // What carries an accepted socket's bytes: plain_stream or tls_stream.
    std::function<std::unique_ptr<Stream>(int fd)> open_stream;
    // Fields every response carries, this listener's policy (HSTS: main.cpp).
    Headers response_headers;
};

// What a quiet connection waits for from its client.
enum class WaitingFor {
    NextRequest,  // between requests: closing it loses nothing
    MoreBytes,    // a request has begun: 408 if the rest is late
    ClientClose,  // answered and half-closed (close_gracefully): the client's close
};

// A request whose handler runs on the pool, and then its response.
struct BlockingRequest {
    HttpRequest request;
    HttpResponse response;
    std::chrono::steady_clock::time_point start;
};

// After the last response: close at once if nothing is unread, or the careful way.
enum class Closing { No, AfterLastResponse, Gracefully };

// ANCHOR: client_connection
// One client connection and where its conversation stands: everything needed to
// continue it lives here, not in local variables, so that it can be put down
// whenever it would wait, and picked up again later.
struct ClientConnection {
    Fd socket;
    // Reads and writes `socket`; destroyed before it (TLS's goodbye needs it).
    std::unique_ptr<Stream> stream;
    std::string peer;  // "127.0.0.1:51234", for the log and the rate limiter
    RequestParser parser;
    std::string unparsed;  // bytes read from the socket that the parser has not used yet
    std::string unsent;    // the write queue: bytes the socket has not taken yet,
    FileBody unsent_file;  // then part of a file (length 0: none); nothing queues behind it
    bool continue_sent = false;
    std::size_t requests = 0;  // so far: each new one gets its own request timeout
    std::optional<BlockingRequest> blocking;  // on the pool, or back from it
    Closing closing = Closing::No;
    // What it waits for, and whether the loop's timer for that has expired.
    WaitingFor waiting_for = WaitingFor::NextRequest;
    bool timed_out = false;

    std::uint64_t unsent_bytes() const { return unsent.size() + unsent_file.length; }
};
// ANCHOR_END: client_connection

enum class ServeResult {
    Closed,     // the conversation is over: drop the connection
    WaitRead,   // call again once readable (or writable, while bytes are unsent)
    WaitWrite,  // call again once writable; read nothing meanwhile
    Blocking,   // run client.blocking's handler on the pool, then call again
};

// Answers requests on `client` until the client or the protocol ends the
// connection, a stop is requested, or it would have to wait.
ServeResult serve_connection(ClientConnection& client, const Handler& handler, const StopSignal& stop,
                             const ConnectionOptions& options);

// Calls the handler; one that throws costs a 500, not the server.
HttpResponse call_handler(const Handler& handler, HttpRequest& request, const std::string& peer);

// The pool cannot take client.blocking's request now: its answer is `503
// Service Unavailable` with `Retry-After`.
void refuse_request(ClientConnection& client);
