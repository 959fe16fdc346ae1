// Fd: the one owner of a file descriptor.
//
// A descriptor is a resource like memory: forget to close it and the server
// slowly runs out (EMFILE), close it twice and you may close somebody else's.
// Fd closes exactly once, in its destructor, and can be moved but not copied,
// so ownership is always visible in the types.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <utility>

#include "errors.hpp"

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }

    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }

    // Closes the descriptor now (if any). close() errors are ignored on
    // purpose: on Linux the descriptor is released even when close() fails,
    // so retrying would be wrong (see close(2), "Dealing with error returns").
    void reset() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_ = -1;
};

// Raises this process's soft limit on open descriptors (RLIMIT_NOFILE,
// often 1024) to `wanted`, or as far as the hard limit allows (see
// getrlimit(2)). Failing changes nothing: the server then meets EMFILE.
inline void raise_descriptor_limit(rlim_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
    limit.rlim_cur = std::min(limit.rlim_max, wanted);
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

// How many descriptors this process may have open (RLIMIT_NOFILE's soft
// limit, `ulimit -n`). "Unlimited" counts as a million.
inline std::size_t descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) throw_errno("getrlimit");
    return static_cast<std::size_t>(std::min<rlim_t>(limit.rlim_cur, rlim_t{1} << 20));
}
