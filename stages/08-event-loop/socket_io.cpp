#include "socket_io.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "errors.hpp"

// ANCHOR: read_some
std::optional<std::size_t> read_some(int fd, char* buffer, std::size_t capacity) {
    while (true) {
        const ssize_t n = ::read(fd, buffer, capacity);
        if (n >= 0) return static_cast<std::size_t>(n);  // 0: the peer closed
        if (errno == EINTR) continue;                    // interrupted by a signal: retry
        if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;  // nothing yet
        if (errno == ECONNRESET || errno == ETIMEDOUT) return 0;  // the peer vanished
        throw_errno("read");
    }
}
// ANCHOR_END: read_some

// ANCHOR: write_some
std::optional<std::size_t> write_some(int fd, std::string_view bytes) {
    while (true) {
        // MSG_NOSIGNAL: if the peer is gone, fail with EPIPE instead of
        // raising SIGPIPE, whose default action kills the whole process.
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;  // full
        if (errno == EPIPE || errno == ECONNRESET) return 0;
        throw_errno("send");
    }
}
// ANCHOR_END: write_some
