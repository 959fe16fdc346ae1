#include "event_loop.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "errors.hpp"

EventLoop::EventLoop(std::initializer_list<TimerList*> timer_lists)
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), timer_lists_(timer_lists) {
    if (!epoll_.valid()) throw_errno("epoll_create1");
    watch(wakeup_.fd(), EPOLLIN, *this);
}

// ANCHOR: watch
void EventLoop::watch(int fd, std::uint32_t events, Watcher& watcher) {
    // Each event brings data.ptr back: the watcher to call, without a lookup.
    epoll_event event{events, {.ptr = &watcher}};
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) < 0) throw_errno("epoll_ctl ADD");
}

void EventLoop::change(int fd, std::uint32_t events, Watcher& watcher) {
    epoll_event event{events, {.ptr = &watcher}};
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) < 0) throw_errno("epoll_ctl MOD");
}
// ANCHOR_END: watch

void EventLoop::forget(int fd) { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

// ANCHOR: post
void EventLoop::post(std::function<void()> task) {
    const std::lock_guard lock(mutex_);
    // Once is enough until the loop has run the tasks.
    if (posted_.empty()) wakeup_.wake();
    posted_.push_back(std::move(task));
}

void EventLoop::on_ready(std::uint32_t) {
    wakeup_.clear();
    std::vector<std::function<void()>> tasks;
    {
        const std::lock_guard lock(mutex_);
        tasks.swap(posted_);
    }
    for (auto& task : tasks) task();
}
// ANCHOR_END: post

// How long epoll_wait may sleep: until the first timer is due (-1, for
// ever, if none is armed), rounded up: waking early finds nothing due.
int EventLoop::milliseconds_to_first_timer() const {
    using namespace std::chrono;
    int timeout = -1;
    for (const TimerList* list : timer_lists_) {
        if (const Timer* timer = list->first()) {
            const auto left = ceil<milliseconds>(timer->deadline() - steady_clock::now());
            const int ms = static_cast<int>(std::max<long long>(left.count(), 0));
            timeout = timeout < 0 ? ms : std::min(timeout, ms);
        }
    }
    return timeout;
}

// ANCHOR: run_once
void EventLoop::run_once() {
    epoll_event ready[256];  // more wait for the next turn: epoll reports them again
    const int n = ::epoll_wait(epoll_.get(), ready, 256, milliseconds_to_first_timer());
    if (n < 0 && errno != EINTR) throw_errno("epoll_wait");
    now_ = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        static_cast<Watcher*>(ready[i].data.ptr)->on_ready(ready[i].events);
    }
    for (TimerList* list : timer_lists_) list->expire_until(now_);
}
// ANCHOR_END: run_once
