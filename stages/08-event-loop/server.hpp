// Server: one event loop, its listening sockets and every connection they
// accept, the timeouts, and the limits.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <span>
#include <vector>

#include "connection.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "stop_signal.hpp"
#include "thread_pool.hpp"
#include "timer_list.hpp"

struct ServerLimits {
    // A request has this long to arrive once it has begun; a client has as
    // long to take the next bytes of a response.
    std::chrono::milliseconds request_timeout = std::chrono::seconds(10);
    // A keep-alive connection may stay quiet between requests this long.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(5);
    // Open connections at most: each holds a descriptor and some memory.
    std::size_t max_connections = 10'000;
};

class Server : private Watcher {
public:
    Server(ThreadPool& pool, const StopSignal& stop, const ServerLimits& limits);

    // Accepts connections on `listener` and serves them with `options`.
    // Both must outlive the server.
    void listen(int listener, const ConnectionOptions& options);

    // Serves until a stop is requested and every connection is done.
    void run();

    // For the connections.
    EventLoop& loop() { return loop_; }
    ThreadPool& pool() { return pool_; }
    bool stopping() const { return stopping_; }
    TimerList& request_timers() { return request_timers_; }
    TimerList& idle_timers() { return idle_timers_; }
    TimerList& send_timers() { return send_timers_; }
    TimerList& linger_timers() { return linger_timers_; }
    // Where connections read into: one buffer for all, since they take
    // turns, and whatever the parser does not use at once is copied out.
    std::span<char> read_buffer() { return read_buffer_; }
    void closed(Connection& connection);   // its socket is closed
    void release(Connection& connection);  // and nothing refers to it any more

private:
    struct Listener : Watcher {
        Listener(Server& server, int fd, const ConnectionOptions& options)
            : server(server), fd(fd), options(options) {}
        void on_ready(std::uint32_t) override { server.accept_connections(*this); }
        Server& server;
        int fd;
        const ConnectionOptions& options;
    };

    void on_ready(std::uint32_t events) override;  // the stop signal
    void accept_connections(Listener& listener);
    bool make_room();
    void pause_accepting();
    void resume_accepting();

    ThreadPool& pool_;
    const StopSignal& stop_;
    const std::size_t max_connections_;
    EventLoop loop_;
    TimerList request_timers_;
    TimerList idle_timers_;
    TimerList send_timers_;
    TimerList linger_timers_;
    TimerList accept_retry_;  // after EMFILE: try accepting again later
    Timer accept_retry_timer_;
    std::list<Listener> listeners_;
    std::list<Connection> connections_;
    std::vector<Connection*> released_;  // destroyed at the end of the turn
    std::size_t open_ = 0;               // connections with an open socket
    bool accepting_ = true;
    bool stopping_ = false;
    std::vector<char> read_buffer_;
};
