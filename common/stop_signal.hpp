// StopSignal: turns SIGINT/SIGTERM into something a server loop can wait on.
//
// A signal handler may do almost nothing safely (signal-safety(7)): no
// locks, no allocation, no printing. The classic "self-pipe trick" lets it
// do just one safe thing, write a byte to a pipe, and the server watches the
// pipe's read end with poll() next to its sockets (wait.hpp). The pipe is
// never drained, so once a stop is requested every poll() sees it, in every
// thread, and no wake-up can be lost between a check and a wait. The
// handler also sets a lock-free atomic flag, so a loop that only needs to
// ask "stop yet?" between two requests reads memory instead of making a
// system call.
//
// Constructing a StopSignal also ignores SIGPIPE: writing to a socket whose
// peer has gone must be an error we handle (EPIPE), never the death of the
// whole server.
#pragma once

#include "fd.hpp"

class StopSignal {
public:
    StopSignal();  // installs the handlers; one StopSignal per process
    ~StopSignal();
    StopSignal(const StopSignal&) = delete;
    StopSignal& operator=(const StopSignal&) = delete;

    // The descriptor to poll(): it becomes readable once a stop is requested.
    int fd() const { return read_end_.get(); }
    bool requested() const;  // reads the flag: cheap enough for every request
    // Requests a stop from inside the program (what the handler does).
    void request();

private:
    Fd read_end_;
    Fd write_end_;
};

// Requests a stop when it goes out of scope, however the scope ends. Made
// after the threads that watch `stop` (and so destroyed before them), it
// makes them finish when an exception leaves the scope, so that their
// destructors can join them instead of waiting for a Ctrl-C.
class StopOnExit {
public:
    explicit StopOnExit(StopSignal& stop) : stop_(stop) {}
    ~StopOnExit() { stop_.request(); }
    StopOnExit(const StopOnExit&) = delete;
    StopOnExit& operator=(const StopOnExit&) = delete;

private:
    StopSignal& stop_;
};
