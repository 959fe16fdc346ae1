// Wakeup: how one thread wakes another that sleeps in poll().
//
// An eventfd (eventfd(2)) is a counter that the kernel keeps: wake() adds
// to it, which makes fd() readable, so a poll() that watches it returns;
// clear() reads it back to zero. Wakes that come before the sleeper reads
// are not lost, they add up. (StopSignal does the same for signals, with a
// pipe: stop_signal.hpp.)
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "errors.hpp"
#include "fd.hpp"

class Wakeup {
public:
    Wakeup() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
        if (!fd_.valid()) throw_errno("eventfd");
    }

    int fd() const { return fd_.get(); }

    void wake() const {
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t n = ::write(fd_.get(), &one, sizeof one);
    }

    void clear() const {
        std::uint64_t count = 0;
        [[maybe_unused]] const ssize_t n = ::read(fd_.get(), &count, sizeof count);
    }

private:
    Fd fd_;
};
