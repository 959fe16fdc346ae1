#include "socket_io.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
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
bool write_all(int fd, std::string_view bytes, bool more) {
    while (!bytes.empty()) {
        // MSG_NOSIGNAL: if the peer is gone, fail with EPIPE instead of
        // raising SIGPIPE, whose default action kills the whole process.
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | (more ? MSG_MORE : 0));
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

// ANCHOR: send_file
// The kernel copies from its cache of the file to the socket: the bytes
// never pass through this process. Like send(), sendfile(2) may do part of
// the job, and at most about 2 GiB a call: loop until done.
bool send_file(int socket, int file, std::uint64_t offset, std::uint64_t length) {
    // The last packet is mostly part-filled, and Nagle's algorithm holds it
    // while an earlier small one is unacknowledged: 40 ms, until the
    // client's delayed ACK. TCP_NODELAY (tcp(7)) sends it at once.
    const int yes = 1;
    ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    constexpr std::uint64_t kMaxPerCall = 1 << 30;
    off_t position = static_cast<off_t>(offset);
    while (length > 0) {
        const ssize_t n = ::sendfile(socket, file, &position, std::min(length, kMaxPerCall));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET || errno == EAGAIN)) return false;
        if (n < 0) throw_errno("sendfile");
        if (n == 0) return false;  // the file is shorter than it was
        length -= static_cast<std::uint64_t>(n);
    }
    return true;
}
// ANCHOR_END: send_file

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
