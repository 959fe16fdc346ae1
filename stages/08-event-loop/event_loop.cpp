#include "event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "errors.hpp"

namespace {

// How many ready descriptors one epoll_wait() may report. More wait for the
// next turn (level-triggered: epoll reports them again), so a turn stays short.
constexpr int kMaxEventsPerTurn = 256;

}  // namespace

EventLoop::EventLoop()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wakeup_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      now_(std::chrono::steady_clock::now()) {
    if (!epoll_.valid()) throw_errno("epoll_create1");
    if (!wakeup_.valid()) throw_errno("eventfd");
    watch(wakeup_.get(), EPOLLIN, *this);
}

// ANCHOR: watch
void EventLoop::watch(int fd, std::uint32_t events, Watcher& watcher) {
    // The kernel hands data.ptr back with every event: it says which
    // watcher to call, without a lookup.
    epoll_event event{events, {.ptr = &watcher}};
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) < 0) throw_errno("epoll_ctl ADD");
}

void EventLoop::change(int fd, std::uint32_t events, Watcher& watcher) {
    epoll_event event{events, {.ptr = &watcher}};
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) < 0) throw_errno("epoll_ctl MOD");
}
// ANCHOR_END: watch

void EventLoop::forget(int fd) { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::add_timers(TimerList& list) { timer_lists_.push_back(&list); }

// ANCHOR: post
void EventLoop::post(std::function<void()> task) {
    bool was_empty = false;
    {
        const std::lock_guard lock(mutex_);
        was_empty = posted_.empty();
        posted_.push_back(std::move(task));
    }
    // Adding 1 to the eventfd's counter makes it readable and wakes the
    // loop from epoll_wait (eventfd(2)). Once is enough until it runs them.
    if (was_empty) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t n = ::write(wakeup_.get(), &one, sizeof one);
    }
}

void EventLoop::on_ready(std::uint32_t) {
    std::uint64_t count = 0;
    [[maybe_unused]] const ssize_t n = ::read(wakeup_.get(), &count, sizeof count);  // back to 0
    std::vector<std::function<void()>> tasks;
    {
        const std::lock_guard lock(mutex_);
        tasks.swap(posted_);
    }
    for (auto& task : tasks) task();
}
// ANCHOR_END: post

int EventLoop::milliseconds_to_first_timer() const {
    auto first = std::chrono::steady_clock::time_point::max();
    for (const TimerList* list : timer_lists_) {
        if (const Timer* timer = list->first()) first = std::min(first, timer->deadline());
    }
    if (first == std::chrono::steady_clock::time_point::max()) return -1;  // no timer: wait for events
    // Rounded up: waking a little early would find nothing due, and spin.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(first - std::chrono::steady_clock::now());
    return static_cast<int>(std::clamp<long long>(left.count(), 0, 60'000));
}

// ANCHOR: run_once
void EventLoop::run_once() {
    epoll_event events[kMaxEventsPerTurn];
    const int n = ::epoll_wait(epoll_.get(), events, kMaxEventsPerTurn, milliseconds_to_first_timer());
    if (n < 0 && errno != EINTR) throw_errno("epoll_wait");
    now_ = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) static_cast<Watcher*>(events[i].data.ptr)->on_ready(events[i].events);
    for (TimerList* list : timer_lists_) list->expire_until(now_);
}
// ANCHOR_END: run_once
