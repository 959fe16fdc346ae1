#include "server.hpp"

#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.hpp"
#include "listener.hpp"
#include "log.hpp"

namespace {

// A careful close (close_gracefully) waits this long at most for the
// client to close its side too.
constexpr std::chrono::seconds kLingerTimeout{1};
// Out of descriptors (EMFILE), accepting pauses this long unless a
// connection closes sooner: trying again at once would fail again at once.
constexpr std::chrono::milliseconds kAcceptRetry{100};

}  // namespace

Server::Server(ThreadPool& pool, const StopSignal& stop, const ConnectionOptions& options,
               std::size_t max_connections)
    : pool_(pool), stop_(stop), max_connections_(max_connections),
      request_timers_(options.request_timeout), idle_timers_(options.idle_timeout),
      // A client has as long to take the next bytes of a response as to send a request.
      send_timers_(options.request_timeout), linger_timers_(kLingerTimeout), accept_timers_(kAcceptRetry),
      accept_retry_([this] { resume_accepting(); }) {
    for (TimerList* list : {&request_timers_, &idle_timers_, &send_timers_, &linger_timers_, &accept_timers_}) {
        loop_.add_timers(*list);
    }
    loop_.watch(stop_.fd(), EPOLLIN, *this);  // readable once SIGINT or SIGTERM came
}

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

// ANCHOR: run
void Server::run() {
    while (!stopping_ || !connections_.empty()) {
        {
            const LogBatch batch;  // the turn's log lines leave in one write()...
            loop_.run_once();
        }
        // ...before the connections closed in the turn are destroyed and
        // their sockets closed: a client that sees its connection close
        // finds its requests in the log. Only now, too, since an event for
        // one of them may still have been in the turn's list.
        for (Connection* connection : released_) connections_.erase(connection->position);
        released_.clear();
    }
}
// ANCHOR_END: run

// ANCHOR: accept_connections
// A listening socket is readable: take every connection that waits, until
// accept() would wait, each a new non-blocking socket.
void Server::accept_connections(Listener& listener) {
    while (accepting_) {
        // At the limit, the connection idle the longest makes room, as in
        // nginx: between requests it loses nothing that reconnecting does not
        // give back. Idle timers expire in order of idleness: it is the first.
        if (open_ >= max_connections_ && idle_timers_.first() != nullptr) idle_timers_.expire(*idle_timers_.first());
        // None idle: newcomers wait in the kernel's queue until one closes.
        if (open_ >= max_connections_) return pause_accepting();
        std::string peer;
        Fd socket = accept_client(listener.fd, peer);
        if (!socket.valid()) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // none left
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == EPERM) continue;
            if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM) throw_errno("accept");
            // Out of descriptors: the client stays queued, the listener stays
            // readable, and trying again at once would spin. Pause instead.
            log_line(std::string("accept: ") + std::strerror(errno) + "; pausing");
            accept_timers_.arm(accept_retry_, loop_.now());
            return pause_accepting();
        }
        Connection& connection = connections_.emplace_back(*this, listener, std::move(socket), std::move(peer));
        connection.position = std::prev(connections_.end());
        ++open_;
        connection.events = EPOLLIN | EPOLLRDHUP;
        loop_.watch(connection.client.socket.get(), connection.events, connection);
        // Its first bytes are usually here already (TCP_DEFER_ACCEPT): serve
        // it now rather than a turn later.
        serve(connection, 0);
    }
}
// ANCHOR_END: accept_connections

// ANCHOR: serve
void Server::serve(Connection& connection, std::uint32_t events) {
    // Closed earlier in this turn, or its request is on the pool: nothing to do.
    if (connection.closed || connection.on_pool) return;
    // A reset, or both directions shut: nothing we send can arrive.
    if ((events & (EPOLLERR | EPOLLHUP)) != 0) return close(connection);
    ClientConnection& client = connection.client;
    const std::size_t unsent_before = client.unsent.size();
    const ServeResult result = serve_connection(client, connection.listener.handler, stop_, connection.listener.options);
    client.timed_out = false;
    if (result == ServeResult::Closed) return close(connection);
    if (result == ServeResult::Blocking) return run_on_pool(connection);
    wait_for(connection, result, unsent_before);
}

// Tells epoll what the connection waits for, and arms the one timeout that
// applies. epoll_ctl runs only when that changes: on a keep-alive
// connection whose responses fit the socket, never.
void Server::wait_for(Connection& connection, ServeResult result, std::size_t unsent_before) {
    const ClientConnection& client = connection.client;
    std::uint32_t events = result == ServeResult::WaitRead ? EPOLLIN | EPOLLRDHUP : 0;
    if (result == ServeResult::WaitWrite || !client.unsent.empty()) events |= EPOLLOUT;
    if (events != connection.events) loop_.change(client.socket.get(), events, connection);
    connection.events = events;

    TimerList* timeout = &idle_timers_;
    if (client.lingering) timeout = &linger_timers_;
    else if (!client.unsent.empty()) timeout = &send_timers_;
    else if (!client.tls_ready && connection.listener.options.tls_context != nullptr) timeout = &request_timers_;
    else if (client.parser.started()) timeout = &request_timers_;
    // Armed anew when the kind changes, for each new request, and while
    // the client takes our bytes (the send timeout measures a stall).
    if (connection.timer.list() != timeout || connection.timed_request != client.requests ||
        (timeout == &send_timers_ && client.unsent.size() != unsent_before)) {
        timeout->arm(connection.timer, loop_.now());
        connection.timed_request = client.requests;
    }
}
// ANCHOR_END: serve

// ANCHOR: run_on_pool
// A handler that blocks runs on a worker of the pool, and the loop goes on
// with other connections. This one waits (its next requests' answers must
// come after this one) until the worker posts the response back.
void Server::run_on_pool(Connection& connection) {
    ThreadPool::Job job = [this, &connection] {
        BlockingRequest& blocking = *connection.client.blocking;
        blocking.response = call_handler(connection.listener.handler, blocking.request, connection.client.peer);
        loop_.post([this, &connection] {  // back on the loop's thread
            connection.on_pool = false;
            if (connection.closed) released_.push_back(&connection);  // the client left meanwhile
            else serve(connection, 0);
        });
    };
    connection.on_pool = pool_.try_submit(job);
    if (!connection.on_pool) {
        HttpResponse& busy = connection.client.blocking->response;
        busy = HttpResponse::error(503, "every worker is busy; try again in a moment");
        // Retry-After tells a well-behaved client when to come back (RFC 9110 section 10.2.3).
        busy.headers.add("Retry-After", "1");
        return serve(connection, 0);
    }
    connection.timer.cancel();  // the wait is ours, not the client's
    if (connection.events != 0) loop_.change(connection.client.socket.get(), 0, connection);
    connection.events = 0;
}
// ANCHOR_END: run_on_pool

// The socket closes when the connection is destroyed: at the end of the
// turn (after its log lines), or once the pool is done with it.
void Server::close(Connection& connection) {
    connection.closed = true;
    connection.timer.cancel();
    if (connection.on_pool) loop_.forget(connection.client.socket.get());
    else released_.push_back(&connection);
    --open_;
    resume_accepting();  // a descriptor is free again
}

void Server::pause_accepting() {
    accepting_ = false;
    for (Listener& listener : listeners_) loop_.change(listener.fd, 0, listener);
}

void Server::resume_accepting() {
    if (accepting_ || stopping_) return;
    accepting_ = true;
    accept_retry_.cancel();
    for (Listener& listener : listeners_) loop_.change(listener.fd, EPOLLIN, listener);
}

// ANCHOR: stop
// SIGINT/SIGTERM: accept no more, close what has nothing in flight, and let
// run() go on until the requests in flight (on the pool too) are answered.
void Server::on_ready(std::uint32_t) {
    if (stopping_) return;
    stopping_ = true;
    log_line("stopping: finishing the requests in flight");
    loop_.forget(stop_.fd());  // never drained: level-triggered, it would wake every turn
    for (Listener& listener : listeners_) loop_.forget(listener.fd);
    // serve_connection sees the stop: what waits for a request closes.
    for (Connection& connection : connections_) serve(connection, 0);
}
// ANCHOR_END: stop
