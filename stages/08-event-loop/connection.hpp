// Serving one client connection from the event loop: a state machine that
// does what the bytes that have arrived allow, never waits, and keeps
// where it stands between two events.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <string>

#include "event_loop.hpp"
#include "fd.hpp"
#include "http_request.hpp"
#include "http_response.hpp"
#include "request_parser.hpp"
#include "tls.hpp"

// What the application does with a request. The connection code knows
// nothing about what the server is for; it only speaks HTTP. The request is
// not const: the router writes the path parameters it finds into it.
using Handler = std::function<HttpResponse(HttpRequest&)>;

// ANCHOR: connection_options
// How the connections of one listening socket are served.
struct ConnectionOptions {
    Handler handler;
    // Whether a request's handler blocks (hashes a password, sleeps): such
    // a request is handled on the thread pool, never on the loop.
    std::function<bool(const HttpRequest&)> blocks = [](const HttpRequest&) { return false; };
    // Set: connections speak TLS with this context (stage 7). Null: plain.
    SSL_CTX* tls_context = nullptr;
};
// ANCHOR_END: connection_options

class Server;

// ANCHOR: connection_state
// One client connection. What a worker kept on its stack while it waited
// (the bytes read, the parser, the bytes still to send) lives here, so
// that the loop can leave the connection after any event and come back
// at the next.
class Connection : private Watcher {
public:
    Connection(Server& server, const ConnectionOptions& options, Fd socket, std::string peer);

    void start();  // watches the socket and does what can be done at once
    void stop();   // the server is stopping: ends the connection unless a request is in flight
    bool closed() const { return state_ == State::Closed; }
    bool on_pool() const { return on_pool_; }

    // Where the server keeps this connection (to destroy it in O(1)).
    std::list<Connection>::iterator position;

private:
    enum class State {
        Handshake,  // TLS: the handshake is under way
        Open,       // requests and responses
        Draining,   // the last response is queued: send it, then close
        Lingering,  // sent and shut down for writing: wait for the client to close (see linger)
        Closed,     // the socket is closed; destroyed after this turn, or when the pool is done
    };

    void on_ready(std::uint32_t events) override;
    void on_timeout();
    void advance();
    void handshake();
    bool receive_input();
    void handle_requests();
    void run_on_pool(HttpRequest request, std::chrono::steady_clock::time_point start);
    void queue_response(const HttpRequest& request, HttpResponse& response,
                        std::chrono::steady_clock::time_point start);
    void flush();
    bool reading() const;
    void close_after_output();
    void linger();
    void close();
    void update();

    Server& server_;
    const ConnectionOptions& options_;
    Fd socket_;
    // The TLS session over `socket_`; null on a plain connection. Declared
    // after `socket_`, so destroyed before it.
    TlsSession tls_;
    const std::string peer_;  // "127.0.0.1:51234", for the log and the rate limiter
    State state_ = State::Open;
    RequestParser parser_;
    std::string unparsed_;  // bytes read from the socket that the parser has not used yet
    std::string unsent_;    // the write queue: responses not yet taken by the socket
    std::size_t sent_ = 0;  // how much of unsent_ has left already
    Timer timer_;           // the one timeout that applies now: request, idle, send or linger
    std::uint32_t events_ = 0;  // what epoll watches on the socket for us
    bool continue_sent_ = false;
    bool on_pool_ = false;       // a request of ours is on the thread pool
    bool client_done_ = false;   // the client has closed its sending side
    bool must_linger_ = false;   // close the careful way (the client may still be sending)
    bool tls_wants_write_ = false;  // OpenSSL asked to wait for a writable socket
    std::size_t discarded_ = 0;  // bytes thrown away while lingering
};
// ANCHOR_END: connection_state
