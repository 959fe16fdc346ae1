// The TLS Stream (stage 7), against an OpenSSL client on the other end of
// a socket pair: the handshake in steps with a deadline, plain HTTP
// recognised, bytes held inside OpenSSL read before any wait, and
// close_notify when the stream goes. Uses the development certificate
// (make certs), as the stage's server does.
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "fd.hpp"
#include "socket_pair.hpp"
#include "stop_signal.hpp"
#include "tls.hpp"

using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;


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
