// EventLoop: one thread waits for every socket at once. epoll (epoll(7))
// answers "which sockets can be read or written now, without waiting?",
// and the loop does that work for each, then asks again. Nothing in it may
// block: one slow call would stall every connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <vector>

#include "fd.hpp"
#include "timer_list.hpp"
#include "wakeup.hpp"

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
    // The loop sleeps no longer than until the first timer of these lists.
    explicit EventLoop(std::initializer_list<TimerList*> timer_lists);

    // EPOLL_CTL_ADD, MOD and DEL: watch `fd` for `events`, tell `watcher`.
    void watch(int fd, std::uint32_t events, Watcher& watcher);
    void change(int fd, std::uint32_t events, Watcher& watcher);
    void forget(int fd);

    // Runs `task` on the loop's thread at its next turn. The one function
    // other threads (the pool's workers) may call.
    void post(std::function<void()> task);

    // One turn: wait, handle what is ready, expire the timers that are due.
    void run_once();

    // When this turn began: one clock read serves all the turn's timers.
    std::chrono::steady_clock::time_point now() const { return now_; }

private:
    void on_ready(std::uint32_t events) override;  // post() woke us: run the tasks
    int milliseconds_to_first_timer() const;

    Fd epoll_;
    Wakeup wakeup_;  // post() makes it readable, and the loop wakes
    std::vector<TimerList*> timer_lists_;
    std::chrono::steady_clock::time_point now_;
    std::mutex mutex_;  // guards posted_, shared with the threads that post
    std::vector<std::function<void()>> posted_;
};
