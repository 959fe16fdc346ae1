#include "stream.hpp"

#include <sys/socket.h>

#include "socket_io.hpp"

namespace {

// What socket_io says (a count, 0 when the client is gone, or none yet: `waiting`) as a Step.
Step step_of(std::optional<std::size_t> count, std::size_t& n, Step waiting) {
    n = count.value_or(0);
    return !count ? waiting : n > 0 ? Step::Done : Step::Ended;
}

// ANCHOR: plain_stream
class PlainStream final : public Stream {
public:
    explicit PlainStream(int fd) : Stream(fd) {}

    Handshake handshake(std::string&) override { return Handshake::Done; }
    bool handshake_done() const override { return true; }

    Step read_some(char* buffer, std::size_t capacity, std::size_t& n) override {
        return step_of(::read_some(fd(), buffer, capacity), n, Step::WantRead);
    }
    bool has_unread() override {
        char byte = 0;  // MSG_PEEK | MSG_DONTWAIT: look without taking or waiting (recv(2))
        return ::recv(fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    }
    bool has_buffered() const override { return false; }  // the kernel holds them all: the socket shows them

    Step write_some(std::string_view bytes, std::size_t& n, bool more) override {
        return step_of(::write_some(fd(), bytes, more), n, Step::WantWrite);
    }
    // The kernel copies the file (sendfile).
    Step write_file(int file, std::uint64_t offset, std::uint64_t length, std::size_t& n) override {
        return step_of(::send_file(fd(), file, offset, length), n, Step::WantWrite);
    }

    void close() override { ::shutdown(fd(), SHUT_WR); }
};
// ANCHOR_END: plain_stream

}  // namespace

std::unique_ptr<Stream> plain_stream(int fd) { return std::make_unique<PlainStream>(fd); }
