// TimerList: timeouts of one length, each armed, moved or expired in O(1).
// All timeouts of one kind have the same length, so the timer armed first
// expires first: a list that only appends stays sorted by deadline (Node.js
// keeps one per duration; any length would need a heap or a tree, O(log n)).
#pragma once

#include <chrono>
#include <functional>
#include <utility>

class TimerList;

// A timer lives in what it times (a connection), on one list at most.
class Timer {
public:
    explicit Timer(std::function<void()> on_expiry) : on_expiry_(std::move(on_expiry)) {}
    ~Timer() { cancel(); }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    void cancel();
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

// A list must outlive the timers on it.
class TimerList {
public:
    explicit TimerList(std::chrono::steady_clock::duration timeout) : timeout_(timeout) {}

    // (Re)arms `timer` to expire one timeout after `now`, taking it off any
    // other list. `now` never goes back (steady_clock): that keeps the order.
    void arm(Timer& timer, std::chrono::steady_clock::time_point now) {
        timer.cancel();
        timer.deadline_ = now + timeout_;
        timer.list_ = this;
        timer.prev_ = tail_;
        (tail_ != nullptr ? tail_->next_ : head_) = &timer;
        tail_ = &timer;
    }

    Timer* first() const { return head_; }  // the next to expire, or null

    // Takes `timer` off and calls it; the callback may arm it again.
    void expire(Timer& timer) {
        unlink(timer);
        timer.on_expiry_();
    }

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
