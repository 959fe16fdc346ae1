#include "socket_io.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include "errors.hpp"

// ANCHOR: read_some
std::size_t read_some(int fd, char* buffer, std::size_t capacity) {
    while (true) {
        const ssize_t n = ::read(fd, buffer, capacity);
        if (n >= 0) return static_cast<std::size_t>(n);  // 0: the peer closed
        if (errno == EINTR) continue;                    // interrupted by a signal: retry
        if (errno == ECONNRESET || errno == ETIMEDOUT) return 0;  // the peer vanished
        throw_errno("read");
    }
}
// ANCHOR_END: read_some

// ANCHOR: write_all
bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        // MSG_NOSIGNAL: if the peer is gone, fail with EPIPE instead of
        // raising SIGPIPE, whose default action kills the whole process.
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return false;
        // The send timeout expired (see set_send_timeout), or the socket is
        // non-blocking and full: either way the client is not reading.
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
        if (n < 0) throw_errno("send");
        bytes.remove_prefix(static_cast<std::size_t>(n));  // a partial write: send the rest
    }
    return true;
}
// ANCHOR_END: write_all

// ANCHOR: set_send_timeout
// A client that sends requests but never reads the answers fills its
// receive buffer, then our send buffer, and then send() waits for room: by
// default for ever, and with it the server (from stage 6, a worker). With
// SO_SNDTIMEO a send() that waits that long fails with EAGAIN instead
// (socket(7)), and write_all gives up on the client.
void set_send_timeout(int fd, std::chrono::milliseconds timeout) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout - seconds);
    const timeval limit{static_cast<time_t>(seconds.count()), static_cast<suseconds_t>(micros.count())};
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) < 0) {
        throw_errno("setsockopt SO_SNDTIMEO");
    }
}
// ANCHOR_END: set_send_timeout
