#include "server.hpp"

#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.hpp"
#include "listener.hpp"
#include "log.hpp"

namespace {

// A connection that is closing the careful way waits this long at most for
// the client's last bytes (see Connection::close_after_output).
constexpr std::chrono::seconds kLingerTimeout{1};
// Out of descriptors (EMFILE): accepting pauses this long, unless a
// connection closes sooner, rather than spin on the same error.
constexpr std::chrono::milliseconds kAcceptRetry{100};
// How much one read takes from a socket: a few requests, or a good part of
// an upload, per system call.
constexpr std::size_t kReadBufferBytes = 64 * 1024;

}  // namespace

Server::Server(ThreadPool& pool, const StopSignal& stop, const ServerLimits& limits)
    : pool_(pool),
      stop_(stop),
      max_connections_(limits.max_connections),
      request_timers_(limits.request_timeout),
      idle_timers_(limits.idle_timeout),
      send_timers_(limits.request_timeout),  // a client has as long to take a response as to send a request
      linger_timers_(kLingerTimeout),
      accept_retry_(kAcceptRetry),
      accept_retry_timer_([this] { resume_accepting(); }),
      read_buffer_(kReadBufferBytes) {
    for (TimerList* list : {&request_timers_, &idle_timers_, &send_timers_, &linger_timers_, &accept_retry_}) {
        loop_.add_timers(*list);
    }
    // The stop signal's pipe becomes readable on SIGINT/SIGTERM, and wakes the loop.
    loop_.watch(stop_.fd(), EPOLLIN, *this);
}

void Server::listen(int listener, const ConnectionOptions& options) {
    Listener& added = listeners_.emplace_back(*this, listener, options);
    loop_.watch(listener, EPOLLIN, added);
}

// ANCHOR: run
void Server::run() {
    while (!stopping_ || !connections_.empty()) {
        {
            const LogBatch batch;  // the turn's log lines leave in one write()...
            loop_.run_once();
        }
        // ...before the connections closed in the turn are destroyed, and
        // their sockets closed: a client that sees its connection close
        // finds its requests in the log. Destroyed only now also because an
        // event for one of them may still have been in this turn's list.
        for (Connection* connection : released_) connections_.erase(connection->position);
        released_.clear();
    }
}
// ANCHOR_END: run

// ANCHOR: accept_connections
// The listening socket is readable: connections wait in its queue. Take
// them all (until EAGAIN), each a new non-blocking socket in the loop.
void Server::accept_connections(Listener& listener) {
    while (accepting_) {
        if (open_ >= max_connections_ && !make_room()) {
            // At --max-connections: stop accepting. New clients wait in the
            // kernel's queue (or, once it is full, retry their SYN) until a
            // connection closes; nothing is accepted that we cannot serve.
            pause_accepting();
            return;
        }
        std::string peer;
        Fd socket = accept_client(listener.fd, peer);
        if (!socket.valid()) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // the queue is empty
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: the client stays queued. With a
                // level-triggered listener, trying again at once would
                // fail again at once, for ever: pause instead.
                log_line(std::string("accept: ") + std::strerror(errno) + "; pausing");
                pause_accepting();
                accept_retry_.arm(accept_retry_timer_, loop_.now());
                return;
            }
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == EPERM) continue;
            throw_errno("accept");
        }
        Connection& connection = connections_.emplace_back(*this, listener.options, std::move(socket), std::move(peer));
        connection.position = std::prev(connections_.end());
        ++open_;
        connection.start();
    }
}

// At the limit, the connection that has been idle longest makes room for a
// newcomer, as nginx does: a keep-alive connection between requests loses
// nothing it cannot get back by reconnecting. Its idle timeout fires early;
// the idle list is in order of idleness (timer_list.hpp), so that is its head.
bool Server::make_room() {
    Timer* longest_idle = idle_timers_.first();
    if (longest_idle == nullptr) return false;
    idle_timers_.expire(*longest_idle);
    return open_ < max_connections_;
}
// ANCHOR_END: accept_connections

void Server::pause_accepting() {
    if (!accepting_) return;
    accepting_ = false;
    for (Listener& listener : listeners_) loop_.change(listener.fd, 0, listener);
}

void Server::resume_accepting() {
    if (accepting_ || stopping_) return;
    accepting_ = true;
    accept_retry_timer_.cancel();
    for (Listener& listener : listeners_) loop_.change(listener.fd, EPOLLIN, listener);
}

void Server::closed(Connection&) {
    --open_;
    resume_accepting();  // a descriptor is free again
}

void Server::release(Connection& connection) { released_.push_back(&connection); }

// ANCHOR: stop
// SIGINT/SIGTERM: accept no more, end what has nothing in flight, and let
// run() go on until the requests in flight (on the pool too) are answered.
void Server::on_ready(std::uint32_t) {
    if (stopping_) return;
    stopping_ = true;
    log_line("stopping: finishing the requests in flight");
    loop_.forget(stop_.fd());  // never drained: level-triggered, it would wake every turn
    for (Listener& listener : listeners_) loop_.forget(listener.fd);
    for (Connection& connection : connections_) connection.stop();
}
// ANCHOR_END: stop
