// Server: the event loop, its listening sockets, the connections they
// accept with their timeouts, the pool for what blocks, and the limits.
#pragma once

#include <cstddef>
#include <exception>
#include <list>
#include <vector>

#include "connection.hpp"
#include "event_loop.hpp"
#include "stop_signal.hpp"
#include "thread_pool.hpp"

class Server : private Watcher {
public:
    // Timeouts from `options`; at most `max_connections` open at once.
    Server(ThreadPool& pool, StopSignal& stop, const ConnectionOptions& options, std::size_t max_connections);
    // Joins the pool first: its jobs refer to the loop and the connections.
    ~Server();

    // Serves connections to `listener` with `handler` and `options`, which
    // must outlive the server.
    void listen(int listener, const Handler& handler, const ConnectionOptions& options);

    // Serves until a stop is requested and every connection is done. Throws
    // when a listener failed, once the requests in flight are answered.
    void run();

private:
    struct Listener : Watcher {
        Listener(Server& server, int fd, const Handler& handler, const ConnectionOptions& options)
            : server(server), fd(fd), handler(handler), options(options) {}
        void on_ready(std::uint32_t) override { server.accept_connections(*this); }
        Server& server;
        int fd;
        const Handler& handler;
        const ConnectionOptions& options;
    };

    // A connection as the loop holds it. A std::list node, so its address
    // never changes: epoll, its timer and a pool job point at it.
    struct Connection : Watcher {
        Connection(Server& server, const Listener& listener, Fd socket, std::string peer);
        void on_ready(std::uint32_t events) override { server.serve(*this, events); }
        Server& server;
        const Listener& listener;
        ClientConnection client;
        Timer timer;                    // the one timeout that applies now
        std::size_t timed_request = 0;  // client.requests when it was armed
        std::uint32_t events = 0;       // what epoll watches its socket for
        bool on_pool = false;           // a pool job refers to it: keep it until the job is back
        bool closed = false;
        std::list<Connection>::iterator position;
    };

    void on_ready(std::uint32_t events) override;  // the stop signal
    void accept_connections(Listener& listener);
    void accept_new(bool yes);
    void serve(Connection& connection, std::uint32_t events);
    TimerList& timeout_for(const ClientConnection& client);
    void run_on_pool(Connection& connection);
    void close(Connection& connection);

    ThreadPool& pool_;
    StopSignal& stop_;
    const std::size_t max_connections_;
    // One list per kind of timeout (timer_list.hpp).
    TimerList request_timers_, idle_timers_, send_timers_, linger_timers_, accept_timers_;
    EventLoop loop_;
    Timer accept_retry_;  // out of descriptors: accept again a little later
    std::list<Listener> listeners_;
    std::list<Connection> connections_;
    std::vector<Connection*> released_;  // to destroy at the end of the turn
    std::size_t open_ = 0;               // connections whose socket is open
    bool accepting_ = true;
    bool stopping_ = false;
    std::exception_ptr failure_;  // a listener's, thrown by run() at the end
};
