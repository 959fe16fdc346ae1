// EventLoop: one thread serves many connections.
//
// Until stage 7 a connection owned a thread while it waited: for its
// request, for the client to take its response, for its handshake. A
// thread that waits is a stack and a kernel task doing nothing, and five of
// them cannot hold a thousand clients. Here one thread waits for all of
// them at once. epoll (epoll(7)) watches every socket and answers "which of
// them can I read or write now, without waiting?"; the loop does exactly
// that work, at once, for each, and asks again:
//
//     while (running) {
//         ready = epoll_wait(every socket, until the next timer);
//         for each ready socket: read / parse / answer / write what it can;
//         expire the timers that are due;
//         run what the pool's workers handed back;
//     }
//
// Nothing in the loop may block: one slow call stalls every connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "fd.hpp"
#include "timer_list.hpp"

// What the loop calls when a descriptor it watches is ready.
class Watcher {
public:
    // `events`: EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR (epoll_ctl(2)).
    virtual void on_ready(std::uint32_t events) = 0;

protected:
    ~Watcher() = default;
};

class EventLoop : private Watcher {
public:
    EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Watches `fd` for `events`: EPOLL_CTL_ADD, MOD and DEL. The watcher
    // must stay alive while it is watched. close() forgets a descriptor too.
    void watch(int fd, std::uint32_t events, Watcher& watcher);
    void change(int fd, std::uint32_t events, Watcher& watcher);
    void forget(int fd);

    // The loop sleeps no longer than until the first timer of `list`
    // expires, and expires it then. The list must outlive the loop.
    void add_timers(TimerList& list);

    // Runs `task` on the loop's thread at its next turn. The one function
    // that other threads (the pool's workers) may call.
    void post(std::function<void()> task);

    // One turn: waits for ready descriptors (until the first timer at
    // most), handles them, expires the timers that are due, and runs what
    // was posted.
    void run_once();

    // The time this turn started: one clock read per turn serves every
    // timer armed during it.
    std::chrono::steady_clock::time_point now() const { return now_; }

private:
    void on_ready(std::uint32_t events) override;  // the wake-up eventfd
    int milliseconds_to_first_timer() const;

    Fd epoll_;
    Fd wakeup_;  // an eventfd: post() makes it readable, and the loop wakes
    std::vector<TimerList*> timer_lists_;
    std::chrono::steady_clock::time_point now_;
    std::mutex mutex_;  // guards posted_, shared with the threads that post
    std::vector<std::function<void()>> posted_;
};
