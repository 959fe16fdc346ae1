// Serving one client connection: read requests, answer them, repeat, taking turns with others.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "http_request.hpp"
#include "fd.hpp"
#include "http_response.hpp"
#include "request_parser.hpp"
#include "stop_signal.hpp"

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
    // Whether other connections wait for a worker: then a connection gives its worker back
    // after each response, and at once when it has nothing to read (see connection.cpp).
    std::function<bool()> others_waiting = [] { return false; };
};

// What a quiet connection waits for from its client.
enum class WaitingFor {
    NextRequest,  // between requests: closing it loses nothing
    MoreBytes,    // a request has begun: 408 if the rest is late
    ClientClose,  // answered and half-closed (close_gracefully): the client's close
};

// ANCHOR: client_connection
// One client connection and where its conversation stands: everything needed to
// continue it lives here, not in local variables, so that it can be put down
// whenever it would wait, and picked up again later.
struct ClientConnection {
    Fd socket;
    std::string peer;  // "127.0.0.1:51234", for the log and the rate limiter
    RequestParser parser;
    std::string unparsed;  // bytes read from the socket that the parser has not used yet
    bool continue_sent = false;
    // When the request that has begun must be complete, and when a quiet connection between
    // requests is closed: kept here, not in the worker, so that they hold across turns.
    std::optional<std::chrono::steady_clock::time_point> request_deadline;
    std::optional<std::chrono::steady_clock::time_point> idle_deadline;
    // Why and until when it waits in the waiting room, when it is there.
    WaitingFor waiting_for = WaitingFor::NextRequest;
    std::chrono::steady_clock::time_point wait_until;
};
// ANCHOR_END: client_connection

enum class ServeResult {
    Closed,    // the conversation is over: drop the connection, after close_gracefully's wait
    TurnOver,  // others are waiting and this one had its turn: queue it again
    Waiting,   // nothing to read: to the waiting room until the client sends more
};

// Answers requests on `client` until the client or the protocol ends the
// connection, a stop is requested, or its turn is over.
ServeResult serve_connection(ClientConnection& client, const Handler& handler, const StopSignal& stop,
                             const ConnectionOptions& options);

// Answers a connection we have no worker for with `503 Service
// Unavailable` and `Retry-After` at once, then half-closes it.
void refuse_connection(ClientConnection& client);
