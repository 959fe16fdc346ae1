// Waiting for a socket, with a deadline and the stop signal: the one poll()
// loop that every stage uses.
//
// A server never waits without a limit of its own choosing, and never so
// that Ctrl-C goes unnoticed. A deadline is a point in time, not a
// duration: a wait that a signal interrupts, or that a caller resumes
// after doing something else, still ends when it was meant to.
#pragma once

#include <poll.h>

#include <chrono>

#include "stop_signal.hpp"

using Deadline = std::chrono::steady_clock::time_point;
// No deadline: the wait ends only when the socket is ready, or at a stop.
inline constexpr Deadline kNoDeadline = Deadline::max();

enum class Waited { Ready, TimedOut, Stopped };

// Waits until `fd` is ready for `events` (POLLIN: bytes to read, or the
// peer closed; POLLOUT: room to write), until `deadline` passes, or, when
// `stop` is given, until a stop is requested; a stop wins over the others.
Waited wait_for(int fd, short events, Deadline deadline, const StopSignal* stop = nullptr);

// The usual wait of a server: for bytes from `fd`, or a stop.
inline Waited wait_readable(int fd, const StopSignal& stop, Deadline deadline = kNoDeadline) {
    return wait_for(fd, POLLIN, deadline, &stop);
}

// poll()'s timeout for `deadline`: the milliseconds left, rounded up (a
// wait that ended a little early would only have to start again), 0 once
// it has passed, -1 (no limit) for kNoDeadline.
int poll_timeout(Deadline deadline);
