#include "stream.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include "socket_io.hpp"

namespace {

class PlainStream final : public Stream {
public:
    PlainStream(int fd, std::chrono::milliseconds send_timeout) : Stream(fd) {
        // Blocking, as in every earlier stage, with send() bounded.
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        set_send_timeout(fd, send_timeout);
    }

    Handshake handshake(Deadline, const StopSignal&, std::string&) override { return Handshake::Done; }
    bool handshake_done() const override { return true; }

    Waited read_some(char* buffer, std::size_t capacity, std::size_t& n, Deadline deadline,
                     const StopSignal* stop) override {
        const Waited waited = wait_for(fd(), POLLIN, deadline, stop);
        if (waited == Waited::Ready) n = ::read_some(fd(), buffer, capacity);
        return waited;
    }
    bool has_unread() override {
        char byte = 0;  // MSG_PEEK | MSG_DONTWAIT: look without taking or waiting (recv(2))
        return ::recv(fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    }

    bool write_all(std::string_view bytes) override { return ::write_all(fd(), bytes); }
    // The kernel copies the file (sendfile); the head waits for its first
    // bytes (MSG_MORE), so that both leave in one packet.
    bool write_file(std::string_view head, int file, std::uint64_t offset, std::uint64_t length) override {
        return ::write_all(fd(), head, /*more=*/true) && send_file(fd(), file, offset, length);
    }

    void close() override { ::shutdown(fd(), SHUT_WR); }
};

}  // namespace

std::unique_ptr<Stream> plain_stream(int fd, std::chrono::milliseconds send_timeout) {
    return std::make_unique<PlainStream>(fd, send_timeout);
}
