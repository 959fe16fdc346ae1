#include "stream.hpp"

#include <sys/socket.h>

#include "socket_io.hpp"

namespace {

// What socket_io says (a count, 0 when the client is gone) as a Step.
Step step_of(std::size_t count, std::size_t& n) {
    n = count;
    return n > 0 ? Step::Done : Step::Ended;
}

// ANCHOR: plain_stream
class PlainStream final : public Stream {
public:
    explicit PlainStream(int fd) : Stream(fd) {}

    Handshake handshake(std::string&) override { return Handshake::Done; }
    bool handshake_done() const override { return true; }

    Step read_some(char* buffer, std::size_t capacity, std::size_t& n) override {
        return step_of(::read_some(fd(), buffer, capacity), n);
    }
    bool has_unread() override {
        char byte = 0;  // MSG_PEEK | MSG_DONTWAIT: look without taking or waiting (recv(2))
        return ::recv(fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    }
    bool has_buffered() const override { return false; }  // the kernel holds them all: the socket shows them

    Step write_some(std::string_view bytes, std::size_t& n, bool more) override {
        return step_of(::write_all(fd(), bytes, more) ? bytes.size() : 0, n);
    }
    // The kernel copies the file (sendfile).
    Step write_file(int file, std::uint64_t offset, std::uint64_t length, std::size_t& n) override {
        return step_of(::send_file(fd(), file, offset, length) ? length : 0, n);
    }

    void close() override { ::shutdown(fd(), SHUT_WR); }
};
// ANCHOR_END: plain_stream

}  // namespace

std::unique_ptr<Stream> plain_stream(int fd) { return std::make_unique<PlainStream>(fd); }

// ANCHOR: waits
namespace {

// poll() (wait.hpp) for what a call waits for: the client's bytes, or room for ours.
Waited wait(int fd, bool write, Deadline deadline, const StopSignal* stop = nullptr) {
    return wait_for(fd, write ? POLLOUT : POLLIN, deadline, stop);
}

// After a write step: done, or the socket became ready within `send_timeout`.
bool went_on(int fd, Step step, std::chrono::milliseconds send_timeout) {
    return step == Step::Done ||
           wait(fd, step == Step::WantWrite, std::chrono::steady_clock::now() + send_timeout) == Waited::Ready;
}

}  // namespace

Handshake Stream::handshake(Deadline deadline, const StopSignal& stop, std::string& error) {
    Handshake step = handshake(error);
    while ((step == Handshake::WantRead || step == Handshake::WantWrite) &&
           wait(fd(), step == Handshake::WantWrite, deadline, &stop) == Waited::Ready) {
        step = handshake(error);
    }
    return step;
}

// Bytes the stream holds (TLS) are read at once: poll() cannot see them.
// Else the wait comes first: a plain stream's read would block.
Waited Stream::read_some(char* buffer, std::size_t capacity, std::size_t& n, Deadline deadline, const StopSignal* stop) {
    for (Step step = Step::WantRead;;) {
        const Waited waited = has_buffered() ? Waited::Ready : wait(fd(), step == Step::WantWrite, deadline, stop);
        if (waited != Waited::Ready) return waited;
        step = read_some(buffer, capacity, n);
        if (step == Step::Done || step == Step::Ended) return Waited::Ready;  // Ended: n is 0
    }
}

bool Stream::write_all(std::string_view bytes, std::chrono::milliseconds send_timeout, bool more) {
    for (std::size_t n = 0; !bytes.empty(); bytes.remove_prefix(n)) {  // after WantWrite, n is 0: the same bytes
        const Step step = write_some(bytes, n, more);
        if (step == Step::Ended || !went_on(fd(), step, send_timeout)) return false;
    }
    return true;
}

bool Stream::send_file(int file, std::uint64_t offset, std::uint64_t length, std::chrono::milliseconds send_timeout) {
    for (std::size_t n = 0; length > 0; offset += n, length -= n) {
        const Step step = write_file(file, offset, length, n);
        if (step == Step::Ended || !went_on(fd(), step, send_timeout)) return false;
    }
    return true;
}
// ANCHOR_END: waits
