#include "stop_signal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>

#include "errors.hpp"

namespace {

// The handler only knows a plain int and a lock-free atomic: that is all it
// may safely touch (signal-safety(7); a lock-free atomic is the C++ way to
// share a flag between a handler and other threads).
volatile sig_atomic_t g_write_fd = -1;
std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_stop_signal(int) {
    const int saved_errno = errno;  // the interrupted code may be reading errno
    g_stop_requested.store(true);
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(g_write_fd, &byte, 1);
    errno = saved_errno;
}

}  // namespace

StopSignal::StopSignal() {
    if (g_write_fd != -1) throw std::logic_error("only one StopSignal per process");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) throw_errno("pipe2");
    read_end_ = Fd(fds[0]);
    write_end_ = Fd(fds[1]);
    g_write_fd = write_end_.get();
    g_stop_requested.store(false);

    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // blocked calls resume; poll() on fd() is how we notice
    if (sigaction(SIGINT, &action, nullptr) < 0) throw_errno("sigaction SIGINT");
    if (sigaction(SIGTERM, &action, nullptr) < 0) throw_errno("sigaction SIGTERM");
    ::signal(SIGPIPE, SIG_IGN);
}

StopSignal::~StopSignal() {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    g_write_fd = -1;
}

bool StopSignal::requested() const { return g_stop_requested.load(); }

void StopSignal::request() { on_stop_signal(0); }
