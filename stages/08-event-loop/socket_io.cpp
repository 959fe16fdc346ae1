#include "socket_io.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
std::optional<std::size_t> write_some(int fd, std::string_view bytes, bool more) {
    while (true) {
        // MSG_NOSIGNAL: if the peer is gone, fail with EPIPE instead of
        // raising SIGPIPE, whose default action kills the whole process.
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | (more ? MSG_MORE : 0));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return 0;
        // The socket's buffer is full: the client has not taken what we sent.
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
        if (n < 0) throw_errno("send");
        return static_cast<std::size_t>(n);  // perhaps fewer: the loop sends the rest later
    }
}
// ANCHOR_END: write_some

// ANCHOR: send_file
// The kernel copies from its cache of the file to the socket: the bytes
// never pass through this process. Like send(), sendfile(2) may do part of
// the job, and at most about 2 GiB a call.
std::optional<std::size_t> send_file(int socket, int file, std::uint64_t offset, std::uint64_t length) {
    // The last packet is mostly part-filled, and Nagle's algorithm holds it
    // while an earlier small one is unacknowledged: 40 ms, until the
    // client's delayed ACK. TCP_NODELAY (tcp(7)) sends it at once.
    const int yes = 1;
    ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    constexpr std::uint64_t kMaxPerCall = 1 << 30;
    off_t position = static_cast<off_t>(offset);
    while (true) {
        const ssize_t n = ::sendfile(socket, file, &position, std::min(length, kMaxPerCall));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return 0;
        if (n < 0 && errno == EAGAIN) return std::nullopt;  // full
        if (n < 0) throw_errno("sendfile");
        return static_cast<std::size_t>(n);  // 0: the file is shorter than it was
    }
}
// ANCHOR_END: send_file
