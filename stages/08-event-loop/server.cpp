#include "server.hpp"

#include <sys/epoll.h>

#include <system_error>

#include "listener.hpp"
#include "log.hpp"

// A careful close (close_gracefully) waits this long at most for the client.
constexpr std::chrono::seconds kLingerTimeout{1};
// Out of descriptors (EMFILE), accepting pauses this long, or until a
// connection closes: trying again at once would fail again at once.
constexpr std::chrono::milliseconds kAcceptRetry{100};

Server::Server(ThreadPool& pool, StopSignal& stop, const ConnectionOptions& options, std::size_t max_connections)
    : pool_(pool), stop_(stop), max_connections_(max_connections),
      request_timers_(options.request_timeout), idle_timers_(options.idle_timeout),
      send_timers_(options.request_timeout), linger_timers_(kLingerTimeout),
      accept_timers_(kAcceptRetry),
      loop_({&request_timers_, &idle_timers_, &send_timers_, &linger_timers_, &accept_timers_}),
      accept_retry_([this] { accept_new(true); }) {
    loop_.watch(stop_.fd(), EPOLLIN, *this);  // readable once SIGINT or SIGTERM came
}

Server::~Server() { pool_.shutdown(); }

Server::Connection::Connection(Server& server, const Listener& listener, Fd socket, std::string peer)
    : server(server), listener(listener), timer([this] {
          client.timed_out = true;
          this->server.serve(*this, 0);
      }) {
    client.socket = std::move(socket);
    client.peer = std::move(peer);
}

void Server::listen(int listener, const Handler& handler, const ConnectionOptions& options) {
    loop_.watch(listener, EPOLLIN, listeners_.emplace_back(*this, listener, handler, options));
}

void Server::run() {
    while (!stopping_ || !connections_.empty()) {
        {
            const LogBatch batch;  // the turn's log lines leave in one write()
            loop_.run_once();
        }
        // A connection closed in the turn is destroyed now, not sooner: an
        // event for it may still have been in the turn's list.
        for (Connection* connection : released_) connections_.erase(connection->position);
        released_.clear();
    }
    if (failure_) std::rethrow_exception(failure_);
}

// ANCHOR: accept_connections
void Server::accept_connections(Listener& listener) {
    while (accepting_) {
        // At the limit, the connection idle the longest makes room (as in
        // nginx): its idle timer is the first to expire.
        Timer* idle_longest = idle_timers_.first();
        if (open_ >= max_connections_ && idle_longest) idle_timers_.expire(*idle_longest);
        // None idle: newcomers wait in the kernel's queue until one closes.
        if (open_ >= max_connections_) return accept_new(false);
        std::string peer;
        bool out_of_descriptors = false;
        Fd socket;
        try {
            socket = accept_client(listener.fd, peer, out_of_descriptors);
        } catch (const std::system_error&) {
            // The listener itself failed: stop as at SIGTERM, so that the
            // requests in flight are answered, and then fail.
            failure_ = std::current_exception();
            stop_.request();
            on_ready(0);
            return loop_.forget(listener.fd);  // or epoll would report it at every turn
        }
        if (out_of_descriptors) {
            // Out of descriptors: the client stays queued. Pause instead.
            accept_new(false);  // (which cancels a retry: arm it after)
            return accept_timers_.arm(accept_retry_, loop_.now());
        }
        if (!socket.valid()) return;  // none left, or that client gave up: epoll says if more wait
        Connection& connection =
            connections_.emplace_back(*this, listener, std::move(socket), std::move(peer));
        connection.position = std::prev(connections_.end());
        ++open_;
        connection.client.stream = listener.options.open_stream(connection.client.socket.get());
        if (!connection.client.stream) {
            close(connection);
            continue;
        }
        connection.events = EPOLLIN | EPOLLRDHUP;
        loop_.watch(connection.client.socket.get(), connection.events, connection);
        serve(connection, 0);  // its first bytes are usually here already (TCP_DEFER_ACCEPT)
    }
}

void Server::accept_new(bool yes) {
    if (yes == accepting_ || (yes && stopping_)) return;
    accepting_ = yes;
    accept_retry_.cancel();
    const std::uint32_t events = yes ? EPOLLIN : 0U;
    for (Listener& listener : listeners_) loop_.change(listener.fd, events, listener);
}
// ANCHOR_END: accept_connections

// ANCHOR: serve
void Server::serve(Connection& connection, std::uint32_t events) {
    if (connection.closed) return;  // closed earlier in this turn
    // A reset, or both directions shut: nothing we send can arrive. (epoll
    // reports these even for a socket watched for nothing, as on the pool.)
    if ((events & (EPOLLERR | EPOLLHUP)) != 0) return close(connection);
    if (connection.on_pool) return;
    ClientConnection& client = connection.client;
    const Listener& listener = connection.listener;
    const std::uint64_t unsent_before = client.unsent_bytes();
    const ServeResult result = serve_connection(client, listener.handler, stop_, listener.options);
    client.timed_out = false;
    if (result == ServeResult::Closed) return close(connection);
    if (result == ServeResult::Blocking) return run_on_pool(connection);

    // Tell epoll what it waits for: epoll_ctl only when that changes, so on
    // a keep-alive connection whose responses fit the socket, never.
    std::uint32_t wanted = result == ServeResult::WaitRead ? EPOLLIN | EPOLLRDHUP : 0;
    if (result == ServeResult::WaitWrite || client.unsent_bytes() > 0) wanted |= EPOLLOUT;
    if (wanted != connection.events) loop_.change(client.socket.get(), wanted, connection);
    connection.events = wanted;

    // Arm the one timeout that applies: anew for another kind, for a new
    // request, and when the client takes bytes (a send timeout measures a stall).
    TimerList& timeout = timeout_for(client);
    if (connection.timer.list() != &timeout || connection.timed_request != client.requests ||
        (&timeout == &send_timers_ && client.unsent_bytes() != unsent_before)) {
        timeout.arm(connection.timer, loop_.now());
        connection.timed_request = client.requests;
    }
}

// ANCHOR: timeout_for
// A client has as long to take the next bytes of a response as to send a
// request: the send timeout is the request timeout.
TimerList& Server::timeout_for(const ClientConnection& client) {
    if (client.waiting_for == WaitingFor::ClientClose) return linger_timers_;
    if (client.unsent_bytes() > 0) return send_timers_;
    return client.waiting_for == WaitingFor::MoreBytes ? request_timers_ : idle_timers_;
}
// ANCHOR_END: timeout_for
// ANCHOR_END: serve

// ANCHOR: run_on_pool
// A handler that blocks runs on a worker while the loop goes on; this
// connection waits until the worker posts the response back to the loop.
void Server::run_on_pool(Connection& connection) {
    ThreadPool::Job job = [this, &connection] {
        BlockingRequest& blocking = *connection.client.blocking;
        const Handler& handler = connection.listener.handler;
        blocking.response = call_handler(handler, blocking.request, connection.client.peer);
        loop_.post([this, &connection] {  // on the loop's thread
            connection.on_pool = false;
            if (connection.closed) released_.push_back(&connection);  // the client left meanwhile
            else serve(connection, 0);
        });
    };
    connection.on_pool = pool_.try_submit(job);
    if (!connection.on_pool) {
        refuse_request(connection.client);
        return serve(connection, 0);
    }
    connection.timer.cancel();  // this wait is ours, not the client's
    if (connection.events != 0) loop_.change(connection.client.socket.get(), 0, connection);
    connection.events = 0;
}
// ANCHOR_END: run_on_pool

// The socket closes now, its log lines written first (whoever sees the
// close finds its requests in the log). Later, the client could close
// first, and the side that closes first keeps the connection in TIME-WAIT
// (RFC 9293 section 3.6): better the server than a client that opens a
// connection per request and must find a free port for each. The
// connection itself lives on until the end of the turn, or of its pool job.
void Server::close(Connection& connection) {
    connection.closed = true;
    connection.timer.cancel();
    LogBatch::flush();
    connection.client.stream.reset();  // first: TLS's goodbye needs the socket
    connection.client.socket.reset();  // which also takes it out of epoll
    if (!connection.on_pool) released_.push_back(&connection);
    --open_;
    accept_new(true);  // a descriptor is free again
}

// ANCHOR: stop
// SIGINT/SIGTERM: accept no more, close what has nothing in flight, and let
// run() go on until the requests in flight (on the pool too) are answered.
void Server::on_ready(std::uint32_t) {
    log_line("stopping: finishing the requests in flight");
    accept_new(false);
    stopping_ = true;
    loop_.forget(stop_.fd());  // never drained: level-triggered, it would wake every turn
    for (Connection& connection : connections_) serve(connection, 0);  // each sees the stop
}
// ANCHOR_END: stop
