// TimerList: thousands of timeouts of one length, each armed or moved in O(1).
//
// Every connection has a timeout running (request, idle, send), and every
// request moves one. A general timer structure keeps them sorted by deadline
// (libuv and Go use a binary heap, nginx a red-black tree: O(log n) each).
// But all timeouts of one kind have the same length: every idle connection
// gets --idle-timeout. So the timer armed first expires first, and a list
// that only ever appends stays sorted by itself:
//
//     first to expire                              last armed
//     [conn 7, 10:00:01] -> [conn 3, 10:00:02] -> [conn 9, 10:00:04]
//
// Arming unlinks a timer from wherever it was and appends it; the next to
// expire is the head. No search, no scan. (Node.js groups its timers into
// one such list per duration: lib/internal/timers.js.) The event loop keeps
// one list per kind of timeout and sleeps until the earliest head.
#pragma once

#include <chrono>
#include <functional>
#include <utility>

class TimerList;

// One timer, embedded in what it times (a connection). It is on one list
// at most; destroying it takes it off.
class Timer {
public:
    explicit Timer(std::function<void()> on_expiry) : on_expiry_(std::move(on_expiry)) {}
    ~Timer() { cancel(); }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    void cancel();
    bool armed() const { return list_ != nullptr; }
    const TimerList* list() const { return list_; }
    std::chrono::steady_clock::time_point deadline() const { return deadline_; }

private:
    friend class TimerList;
    std::function<void()> on_expiry_;
    std::chrono::steady_clock::time_point deadline_{};
    TimerList* list_ = nullptr;
    Timer* prev_ = nullptr;
    Timer* next_ = nullptr;
};

class TimerList {
public:
    explicit TimerList(std::chrono::steady_clock::duration timeout) : timeout_(timeout) {}
    ~TimerList() {
        while (head_ != nullptr) unlink(*head_);
    }
    TimerList(const TimerList&) = delete;
    TimerList& operator=(const TimerList&) = delete;

    // (Re)arms `timer` to expire one timeout after `now`, taking it off any
    // list it was on. `now` must not go back in time: that keeps the order.
    void arm(Timer& timer, std::chrono::steady_clock::time_point now) {
        timer.cancel();
        timer.deadline_ = now + timeout_;
        timer.list_ = this;
        timer.prev_ = tail_;
        (tail_ != nullptr ? tail_->next_ : head_) = &timer;
        tail_ = &timer;
    }

    // The timer that expires first, or null when the list is empty.
    Timer* first() const { return head_; }

    // Takes `timer` off this list and runs what it was armed for. The
    // callback may arm the timer again, or destroy its owner.
    void expire(Timer& timer) {
        unlink(timer);
        timer.on_expiry_();
    }

    // Expires every timer whose deadline is at or before `now`.
    void expire_until(std::chrono::steady_clock::time_point now) {
        while (head_ != nullptr && head_->deadline_ <= now) expire(*head_);
    }

private:
    friend class Timer;
    void unlink(Timer& timer) {
        (timer.prev_ != nullptr ? timer.prev_->next_ : head_) = timer.next_;
        (timer.next_ != nullptr ? timer.next_->prev_ : tail_) = timer.prev_;
        timer.prev_ = timer.next_ = nullptr;
        timer.list_ = nullptr;
    }

    std::chrono::steady_clock::duration timeout_;
    Timer* head_ = nullptr;
    Timer* tail_ = nullptr;
};

inline void Timer::cancel() {
    if (list_ != nullptr) list_->unlink(*this);
}
