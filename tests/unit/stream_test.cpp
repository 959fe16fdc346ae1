// The streams of stages 7 and 8, over socket pairs, so that every behaviour
// is the kernel's and OpenSSL's own. A call does what it can and says what
// it waits for (a Step); the tests wait with poll() where a worker (stage
// 7) or the event loop (stage 8) would. The TLS stream, against an OpenSSL
// client: the handshake a step at a time, plain HTTP recognised, bytes held
// inside OpenSSL, a file in chunks, close_notify when the stream goes.
//
// Stage 7 also waits inside the stream: a read until its deadline or a stop,
// writes as long as the send timeout, the handshake until its deadline; its
// plain stream is a blocking socket. Stage 8's plain stream is non-blocking
// and says WantRead or WantWrite at once. The development certificate (make
// certs) is used, as the stage's server does.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "fd.hpp"
#include "socket_pair.hpp"
#include "socket_io.hpp"
#include "stop_signal.hpp"
#include "stream.hpp"
#include "tls.hpp"

using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

std::string read_from(const Fd& fd) {
    char buffer[4096];
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
}

TlsContext server_context() { return make_tls_context("build/certs/cert.pem", "build/certs/key.pem"); }

// A blocking OpenSSL client on `fd`, certificate not checked (the blackbox
// tests check it; here the server side is under test).
struct Client {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context{SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl{nullptr, SSL_free};
    explicit Client(int fd) {
        ssl.reset(SSL_new(context.get()));
        SSL_set_fd(ssl.get(), fd);
    }
    bool connect() { return SSL_connect(ssl.get()) == 1; }
    bool write(const std::string& bytes) {
        return SSL_write(ssl.get(), bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
    }
    // What arrives next: bytes, or "" and how the read ended.
    std::string read(int& error) {
        char buffer[256];
        const int n = SSL_read(ssl.get(), buffer, sizeof buffer);
        error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl.get(), n);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
    }
};

// A client thread on `fd`: it says "ping", keeps the answer in `heard`,
// then reads once more, where the server's close_notify should come
// (`end` then says SSL_ERROR_ZERO_RETURN).
std::thread ping_client(int fd, std::string& heard, int& end) {
    return std::thread([fd, &heard, &end] {
        Client client(fd);
        if (!client.connect() || !client.write("ping")) return;
        heard = client.read(end);
        client.read(end);
    });
}



void make_nonblocking(const Fd& fd) {
    REQUIRE(::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK) == 0);
}

// The event loop's part, done here with poll(): waits (5 s at most) until
// the socket is ready for what `step` wants.
bool ready_for(int fd, Step step) {
    pollfd p{fd, static_cast<short>(step == Step::WantWrite ? POLLOUT : POLLIN), 0};
    return ::poll(&p, 1, 5000) == 1;
}

// Takes a handshake to its end as the loop does: a step, a wait, a step...
Handshake shake(Stream& stream, std::string& error) {
    while (true) {
        const Handshake handshake = stream.handshake(error);
        if (handshake != Handshake::WantRead && handshake != Handshake::WantWrite) return handshake;
        if (!ready_for(stream.fd(), handshake == Handshake::WantRead ? Step::WantRead : Step::WantWrite)) {
            return Handshake::Failed;
        }
    }
}

// Reads as the loop does: a read, or a wait for the socket when nothing is there.
Step read_when_ready(Stream& stream, char* buffer, std::size_t capacity, std::size_t& n) {
    Step step = Step::WantRead;
    while ((step = stream.read_some(buffer, capacity, n)) == Step::WantRead || step == Step::WantWrite) {
        if (!ready_for(stream.fd(), step)) break;
    }
    return step;
}

// A temporary file holding `content`, unlinked at once: only its descriptor names it.
Fd file_with(const std::string& content) {
    char path[] = "/tmp/course-stream-XXXXXX";
    Fd file(::mkstemp(path));
    REQUIRE(file.valid());
    ::unlink(path);
    REQUIRE(::write(file.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    return file;
}

}  // namespace

#if COURSE_STAGE < 8
TEST_CASE("a plain stream reads what has arrived, waits until its deadline, and says 0 once the client is gone") {
    SocketPair pair;
    const auto stream = plain_stream(pair.ours.get());
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
    const auto stream = plain_stream(pair.ours.get());
    StopSignal stop;
    stop.request();
    char buffer[8];
    std::size_t n = 0;
    CHECK(stream->read_some(buffer, sizeof buffer, n, kNoDeadline, &stop) == Waited::Stopped);
}

TEST_CASE("a plain stream writes bytes, then a head and a file's range; close() is the client's end of file") {
    SocketPair pair;
    const auto stream = plain_stream(pair.ours.get());
    CHECK(stream->write_all("one ", 1s));
    CHECK(read_from(pair.client) == "one ");

    char path[] = "/tmp/course-stream-XXXXXX";
    const Fd file(::mkstemp(path));
    REQUIRE(file.valid());
    ::unlink(path);
    REQUIRE(::write(file.get(), "0123456789", 10) == 10);
    CHECK(stream->write_all("head:", 1s, /*more=*/true));
    CHECK(stream->send_file(file.get(), 2, 5, 1s));
    std::string got;
    while (got.size() < 10) got += read_from(pair.client);
    CHECK(got == "head:23456");

    stream->close();
    char byte = 0;
    CHECK(::read(pair.client.get(), &byte, 1) == 0);  // our FIN
    CHECK(::write(pair.client.get(), "x", 1) == 1);   // and the client may still send
}

namespace {

// A client that reads nothing: a big write fails, once the client has
// taken nothing for `send_timeout` (a little less: poll() rounds).
void check_gives_up(Stream& stream, std::chrono::milliseconds send_timeout) {
    const std::string big(8 << 20, 'x');  // more than both socket buffers hold
    const auto start = Clock::now();
    CHECK_FALSE(stream.write_all(big, send_timeout));
    CHECK(Clock::now() - start >= send_timeout * 3 / 4);
}

}  // namespace

TEST_CASE("a plain stream's write gives up on a client that reads nothing, after its send timeout") {
    SocketPair pair;
    set_send_timeout(pair.ours.get(), 200ms);  // as the accept loop does
    const auto stream = plain_stream(pair.ours.get());
    check_gives_up(*stream, 200ms);
}

TEST_CASE("a TLS stream's write gives up on a client that reads nothing, after its send timeout") {
    SocketPair pair;
    const TlsContext context = server_context();
    const auto stream = tls_stream(context.get(), pair.ours.get());
    std::thread client_thread([&] { Client(pair.client.get()).connect(); });  // then reads nothing
    const StopSignal stop;
    std::string error;
    REQUIRE(stream->handshake(Clock::now() + 5s, stop, error) == Handshake::Done);
    client_thread.join();
    check_gives_up(*stream, 200ms);
}

TEST_CASE("a TLS stream shakes hands, carries bytes both ways, and says close_notify when it goes") {
    SocketPair pair;
    const TlsContext context = server_context();
    auto stream = tls_stream(context.get(), pair.ours.get());
    REQUIRE(stream != nullptr);
    CHECK_FALSE(stream->handshake_done());

    std::string heard;
    int end = 0;
    std::thread client_thread = ping_client(pair.client.get(), heard, end);
    const StopSignal stop;
    std::string error;
    REQUIRE(stream->handshake(Clock::now() + 5s, stop, error) == Handshake::Done);
    CHECK(stream->handshake_done());
    char buffer[64];
    std::size_t n = 0;
    REQUIRE(stream->read_some(buffer, sizeof buffer, n, Clock::now() + 5s, &stop) == Waited::Ready);
    CHECK(std::string(buffer, n) == "ping");
    CHECK(stream->write_all("pong", 1s));
    stream.reset();  // no close() first: the destructor says goodbye
    client_thread.join();
    CHECK(heard == "pong");
    CHECK(end == SSL_ERROR_ZERO_RETURN);
}

TEST_CASE("a handshake that waits for the client stops at its deadline, and goes on later") {
    SocketPair pair;
    const TlsContext context = server_context();
    const auto stream = tls_stream(context.get(), pair.ours.get());
    const StopSignal stop;
    std::string error;
    const auto start = Clock::now();
    CHECK(stream->handshake(Clock::now() + 100ms, stop, error) == Handshake::WantRead);
    CHECK(Clock::now() - start >= 100ms);

    std::thread client_thread([&] { Client(pair.client.get()).connect(); });
    CHECK(stream->handshake(Clock::now() + 5s, stop, error) == Handshake::Done);
    client_thread.join();
}

TEST_CASE("plain HTTP where a ClientHello belongs is recognised by a handshake with a deadline") {
    SocketPair pair;
    const TlsContext context = server_context();
    const auto stream = tls_stream(context.get(), pair.ours.get());
    const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(::write(pair.client.get(), request.data(), request.size()) == static_cast<ssize_t>(request.size()));
    const StopSignal stop;
    std::string error;
    CHECK(stream->handshake(Clock::now() + 5s, stop, error) == Handshake::PlainHttp);
    CHECK_FALSE(error.empty());
}

TEST_CASE("bytes already inside OpenSSL are read at once, without waiting on the socket") {
    SocketPair pair;
    const TlsContext context = server_context();
    const auto stream = tls_stream(context.get(), pair.ours.get());
    std::thread client_thread([&] {
        Client client(pair.client.get());
        if (client.connect()) client.write("first second");  // one record
        int end = 0;
        client.read(end);  // until the server's end
    });
    const StopSignal stop;
    std::string error;
    REQUIRE(stream->handshake(Clock::now() + 5s, stop, error) == Handshake::Done);
    char buffer[6];
    std::size_t n = 0;
    REQUIRE(stream->read_some(buffer, sizeof buffer, n, Clock::now() + 5s, &stop) == Waited::Ready);
    CHECK(std::string(buffer, n) == "first ");
    // The rest of the record is decrypted and waits in OpenSSL: the socket
    // is empty, so a poll() first would time out. A deadline of now is enough.
    CHECK(stream->has_unread());
    REQUIRE(stream->read_some(buffer, sizeof buffer, n, Clock::now(), &stop) == Waited::Ready);
    CHECK(std::string(buffer, n) == "second");
    stream->close();
    client_thread.join();
}
#else

TEST_CASE("a plain stream reads what has arrived, says WantRead at once when nothing has, and Ended once the client is gone") {
    SocketPair pair;
    make_nonblocking(pair.ours);
    const auto stream = plain_stream(pair.ours.get());
    std::string error;
    CHECK(stream->handshake(error) == Handshake::Done);  // nothing to shake
    CHECK(stream->handshake_done());

    char buffer[64];
    std::size_t n = 99;
    const auto start = Clock::now();
    CHECK(stream->read_some(buffer, sizeof buffer, n) == Step::WantRead);
    CHECK(Clock::now() - start < 100ms);  // it says so; it does not wait
    CHECK(n == 0);
    CHECK_FALSE(stream->has_unread());

    REQUIRE(::write(pair.client.get(), "hello", 5) == 5);
    CHECK(stream->has_unread());
    CHECK_FALSE(stream->has_buffered());  // the kernel holds them: epoll sees them
    REQUIRE(stream->read_some(buffer, sizeof buffer, n) == Step::Done);
    CHECK(std::string(buffer, n) == "hello");

    pair.client.reset();
    CHECK(stream->read_some(buffer, sizeof buffer, n) == Step::Ended);
    CHECK(n == 0);
}

TEST_CASE("a plain stream writes what the socket takes, a file's range too, and says WantWrite once it is full") {
    SocketPair pair;
    make_nonblocking(pair.ours);
    const auto stream = plain_stream(pair.ours.get());
    std::size_t n = 0;
    REQUIRE(stream->write_some("head:", n, /*more=*/true) == Step::Done);
    CHECK(n == 5);
    const Fd file = file_with("0123456789");
    REQUIRE(stream->write_file(file.get(), 2, 5, n) == Step::Done);
    CHECK(n == 5);
    std::string got;
    while (got.size() < 10) got += read_from(pair.client);
    CHECK(got == "head:23456");

    // A client that reads nothing: the socket's buffers fill, and the
    // stream says so at once instead of waiting for room.
    const std::string big(8 << 20, 'x');  // more than both socket buffers hold
    std::string_view left = big;
    Step step = Step::Done;
    const auto start = Clock::now();
    while (step == Step::Done && !left.empty()) {
        step = stream->write_some(left, n, /*more=*/false);
        left.remove_prefix(n);
    }
    CHECK(step == Step::WantWrite);
    CHECK_FALSE(left.empty());
    CHECK(Clock::now() - start < 1s);
}

TEST_CASE("a plain stream's close() is the client's end of file; the client may still send") {
    SocketPair pair;
    make_nonblocking(pair.ours);
    const auto stream = plain_stream(pair.ours.get());
    stream->close();
    char byte = 0;
    CHECK(::read(pair.client.get(), &byte, 1) == 0);  // our FIN
    CHECK(::write(pair.client.get(), "x", 1) == 1);   // and the client may still send
}
#endif

TEST_CASE("a TLS handshake goes a step at a time; then bytes go both ways, and close_notify when the stream goes") {
    SocketPair pair;
    make_nonblocking(pair.ours);
    const TlsContext context = server_context();
    auto stream = tls_stream(context.get(), pair.ours.get());
    REQUIRE(stream != nullptr);
    std::string error;
    const auto start = Clock::now();
    CHECK(stream->handshake(error) == Handshake::WantRead);  // no ClientHello yet
    CHECK(Clock::now() - start < 100ms);
    CHECK_FALSE(stream->handshake_done());

    std::string heard;
    int end = 0;
    std::thread client_thread = ping_client(pair.client.get(), heard, end);
    REQUIRE(shake(*stream, error) == Handshake::Done);
    CHECK(stream->handshake_done());
    char buffer[64];
    std::size_t n = 0;
    REQUIRE(read_when_ready(*stream, buffer, sizeof buffer, n) == Step::Done);
    CHECK(std::string(buffer, n) == "ping");
    REQUIRE(stream->write_some("pong", n, /*more=*/false) == Step::Done);
    CHECK(n == 4);
    stream.reset();  // no close() first: the destructor says goodbye
    client_thread.join();
    CHECK(heard == "pong");
    CHECK(end == SSL_ERROR_ZERO_RETURN);
}

TEST_CASE("plain HTTP where a ClientHello belongs is recognised") {
    SocketPair pair;
    make_nonblocking(pair.ours);
    const TlsContext context = server_context();
    const auto stream = tls_stream(context.get(), pair.ours.get());
    const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(::write(pair.client.get(), request.data(), request.size()) == static_cast<ssize_t>(request.size()));
    std::string error;
    CHECK(shake(*stream, error) == Handshake::PlainHttp);
    CHECK_FALSE(error.empty());
}

TEST_CASE("bytes already inside OpenSSL are buffered: read at once, though epoll cannot see them") {
    SocketPair pair;
    make_nonblocking(pair.ours);
    const TlsContext context = server_context();
    const auto stream = tls_stream(context.get(), pair.ours.get());
    std::thread client_thread([&] {
        Client client(pair.client.get());
        if (client.connect()) client.write("first second");  // one record
        int end = 0;
        client.read(end);  // until the server's end
    });
    std::string error;
    REQUIRE(shake(*stream, error) == Handshake::Done);
    char buffer[6];
    std::size_t n = 0;
    REQUIRE(read_when_ready(*stream, buffer, sizeof buffer, n) == Step::Done);
    CHECK(std::string(buffer, n) == "first ");
    // The rest of the record is decrypted and waits in OpenSSL; the socket
    // is empty, so epoll would never report it.
    CHECK(stream->has_buffered());
    REQUIRE(stream->read_some(buffer, sizeof buffer, n) == Step::Done);
    CHECK(std::string(buffer, n) == "second");
    CHECK_FALSE(stream->has_buffered());
    CHECK(stream->read_some(buffer, sizeof buffer, n) == Step::WantRead);
    stream->close();
    client_thread.join();
}

TEST_CASE("a TLS stream sends a file's range in chunks, as far as the socket takes it, whole and in order") {
    SocketPair pair;
    make_nonblocking(pair.ours);
    const TlsContext context = server_context();
    const auto stream = tls_stream(context.get(), pair.ours.get());
    std::string content(300 * 1024, '\0');  // several chunks
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>('a' + i * 7 % 26);
    const Fd file = file_with(content);
    const std::size_t offset = 1000, length = content.size() - 2000;

    std::string received;
    std::thread client_thread([&] {
        Client client(pair.client.get());
        if (!client.connect()) return;
        int end = 0;
        while (received.size() < length && end == SSL_ERROR_NONE) received += client.read(end);
    });
    std::string error;
    REQUIRE(shake(*stream, error) == Handshake::Done);
    std::uint64_t at = offset, left = length;
    while (left > 0) {
        std::size_t n = 0;
        const Step step = stream->write_file(file.get(), at, left, n);
        REQUIRE(step != Step::Ended);
        if (step == Step::Done) {
            at += n;
            left -= n;
        } else {
            REQUIRE(ready_for(stream->fd(), step));
        }
    }
    client_thread.join();
    CHECK(received.size() == length);
    CHECK((received == content.substr(offset, length)));
}
