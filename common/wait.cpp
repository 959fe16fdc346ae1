#include "wait.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>

#include "errors.hpp"

Waited wait_for(int fd, short events, Deadline deadline, const StopSignal* stop) {
    pollfd fds[2] = {{fd, events, 0}, {stop != nullptr ? stop->fd() : -1, POLLIN, 0}};
    while (true) {
        const int n = ::poll(fds, stop != nullptr ? 2 : 1, poll_timeout(deadline));
        if (n < 0 && errno == EINTR) continue;  // a signal arrived: look again, same deadline
        if (n < 0) throw_errno("poll");
        if (fds[1].revents != 0) return Waited::Stopped;
        if (n == 0) return Waited::TimedOut;
        return Waited::Ready;  // ready, or an error or hang-up: the read or write will tell which
    }
}

int poll_timeout(Deadline deadline) {
    if (deadline == kNoDeadline) return -1;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::clamp<long long>(left.count(), 0, INT_MAX));
}
