// The plain Stream (stage 7): reads with a deadline, writes, a head and a
// file, the careful close's first half. Over a socket pair, so every
// behaviour is the kernel's own.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "fd.hpp"
#include "socket_pair.hpp"
#include "stop_signal.hpp"
#include "stream.hpp"

using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;


std::string read_from(const Fd& fd) {
    char buffer[4096];
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
}

}  // namespace

TEST_CASE("a plain stream reads what has arrived, waits until its deadline, and says 0 once the client is gone") {
    SocketPair pair;
    const auto stream = plain_stream(pair.ours.get(), 1s);
    const StopSignal stop;
    std::string error;
    CHECK(stream->handshake(Clock::now(), stop, error) == Handshake::Done);  // nothing to shake
    CHECK(stream->handshake_done());

    char buffer[64];
    std::size_t n = 99;
    const auto start = Clock::now();
    CHECK(stream->read_some(buffer, sizeof buffer, n, Clock::now() + 100ms, &stop) == Waited::TimedOut);
    CHECK(Clock::now() - start >= 100ms);
    CHECK_FALSE(stream->has_unread());

    REQUIRE(::write(pair.client.get(), "hello", 5) == 5);
    CHECK(stream->has_unread());
    REQUIRE(stream->read_some(buffer, sizeof buffer, n, Clock::now() + 1s, &stop) == Waited::Ready);
    CHECK(std::string(buffer, n) == "hello");

    pair.client.reset();
    REQUIRE(stream->read_some(buffer, sizeof buffer, n, Clock::now() + 1s, &stop) == Waited::Ready);
    CHECK(n == 0);
}

TEST_CASE("a plain stream's read ends at a stop, whatever its deadline") {
    SocketPair pair;
    const auto stream = plain_stream(pair.ours.get(), 1s);
    StopSignal stop;
    stop.request();
    char buffer[8];
    std::size_t n = 0;
    CHECK(stream->read_some(buffer, sizeof buffer, n, kNoDeadline, &stop) == Waited::Stopped);
}

TEST_CASE("a plain stream writes bytes, then a head and a file's range; close() is the client's end of file") {
    SocketPair pair;
    const auto stream = plain_stream(pair.ours.get(), 1s);
    CHECK(stream->write_all("one "));
    CHECK(read_from(pair.client) == "one ");

    char path[] = "/tmp/course-stream-XXXXXX";
    const Fd file(::mkstemp(path));
    REQUIRE(file.valid());
    ::unlink(path);
    REQUIRE(::write(file.get(), "0123456789", 10) == 10);
    CHECK(stream->write_file("head:", file.get(), 2, 5));
    std::string got;
    while (got.size() < 10) got += read_from(pair.client);
    CHECK(got == "head:23456");

    stream->close();
    char byte = 0;
    CHECK(::read(pair.client.get(), &byte, 1) == 0);  // our FIN
    CHECK(::write(pair.client.get(), "x", 1) == 1);   // and the client may still send
}

TEST_CASE("a plain stream's write gives up on a client that reads nothing, after its send timeout") {
    SocketPair pair;
    const auto stream = plain_stream(pair.ours.get(), 200ms);
    const std::string big(8 << 20, 'x');  // more than both socket buffers hold
    const auto start = Clock::now();
    CHECK_FALSE(stream->write_all(big));
    CHECK(Clock::now() - start >= 150ms);
}
