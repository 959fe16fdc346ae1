// The streams of stage 7, over socket pairs, so that every behaviour is the
// kernel's and OpenSSL's own. The plain one: reads with a deadline, writes,
// a head and a file, the careful close's first half. The TLS one, against
// an OpenSSL client: the handshake in steps with a deadline, plain HTTP
// recognised, bytes held inside OpenSSL read before any wait, and
// close_notify when the stream goes. It uses the development certificate
// (make certs), as the stage's server does.
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

TEST_CASE("a TLS stream shakes hands, carries bytes both ways, and says close_notify when it goes") {
    SocketPair pair;
    const TlsContext context = server_context();
    auto stream = tls_stream(context.get(), pair.ours.get(), 1s);
    REQUIRE(stream != nullptr);
    CHECK_FALSE(stream->handshake_done());

    std::string heard;
    int end = 0;
    std::thread client_thread([&] {
        Client client(pair.client.get());
        if (!client.connect() || !client.write("ping")) return;
        heard = client.read(end);
        client.read(end);  // the server's close_notify: SSL_ERROR_ZERO_RETURN
    });
    const StopSignal stop;
    std::string error;
    REQUIRE(stream->handshake(Clock::now() + 5s, stop, error) == Handshake::Done);
    CHECK(stream->handshake_done());
    char buffer[64];
    std::size_t n = 0;
    REQUIRE(stream->read_some(buffer, sizeof buffer, n, Clock::now() + 5s, &stop) == Waited::Ready);
    CHECK(std::string(buffer, n) == "ping");
    CHECK(stream->write_all("pong"));
    stream.reset();  // no close() first: the destructor says goodbye
    client_thread.join();
    CHECK(heard == "pong");
    CHECK(end == SSL_ERROR_ZERO_RETURN);
}

TEST_CASE("a handshake that waits for the client stops at its deadline, and goes on later") {
    SocketPair pair;
    const TlsContext context = server_context();
    const auto stream = tls_stream(context.get(), pair.ours.get(), 1s);
    const StopSignal stop;
    std::string error;
    const auto start = Clock::now();
    CHECK(stream->handshake(Clock::now() + 100ms, stop, error) == Handshake::TimedOut);
    CHECK(Clock::now() - start >= 100ms);

    std::thread client_thread([&] { Client(pair.client.get()).connect(); });
    CHECK(stream->handshake(Clock::now() + 5s, stop, error) == Handshake::Done);
    client_thread.join();
}

TEST_CASE("plain HTTP where a ClientHello belongs is recognised") {
    SocketPair pair;
    const TlsContext context = server_context();
    const auto stream = tls_stream(context.get(), pair.ours.get(), 1s);
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
    const auto stream = tls_stream(context.get(), pair.ours.get(), 1s);
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
