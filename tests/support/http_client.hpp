// A deliberately simple HTTP client for black-box tests.
//
// It sends exactly the bytes a test gives it, over a real TCP connection,
// so that malformed requests can be sent as easily as good ones, and it
// reads responses with a time limit so that a broken server fails a test
// instead of hanging it.
//
// The same bytes can travel over TLS (stage 7 on): a Connection made with
// TlsOptions encrypts what it sends and decrypts what it receives, and
// otherwise behaves like a plain one, so that every test written for
// stages 2-6 runs unchanged against an HTTPS server.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fd.hpp"

struct Response {
    std::string version;  // "HTTP/1.1"
    int status = 0;       // 0: no complete response arrived (see `error`)
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string error;  // why status is 0: "timed out", "connection closed", ...

    // The value of the first header called `name` (any case), or "".
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

// TLS protocol versions, oldest first. `library_default` leaves OpenSSL's
// own choice (in practice TLS 1.2 and 1.3: OpenSSL 3's default security
// level rules out the older ones).
enum class TlsVersion { library_default, tls1_0, tls1_1, tls1_2, tls1_3 };

// How a TLS connection introduces itself and what it accepts. The server
// certificate is always verified against build/certs/cert.pem (made by
// `make certs`; tests run from the repository root). Set the fields one by
// one: g++ 12 warns (-Wmissing-field-initializers, an error here) about a
// designated initializer such as {.alpn = ""} that leaves fields out.
struct TlsOptions {
    // The versions the client offers. Asking for TLS 1.0 or 1.1 also lowers
    // the client's OpenSSL security level, so that it really offers them and
    // it is the server that must refuse.
    TlsVersion min_version = TlsVersion::library_default;
    TlsVersion max_version = TlsVersion::library_default;
    std::string server_name = "localhost";    // SNI; "" sends none
    std::string expected_name = "127.0.0.1";  // the IP or DNS name the certificate must cover; "" checks none
    std::string alpn = "http/1.1";            // the one protocol offered by ALPN; "" offers none
    std::string tls12_ciphers;                // OpenSSL cipher list for TLS <= 1.2; "" is the default
};

// One client connection. Use it from one thread at a time: over TLS,
// sending and reading share one OpenSSL session, which is not thread-safe.
class Connection {
public:
    // A plain TCP connection to 127.0.0.1:port.
    explicit Connection(std::uint16_t port);
    // A TLS connection. It starts the handshake at once (ClientHello) and
    // waits briefly for it to finish; when the server is too busy to answer
    // yet, the handshake finishes later, on the next read, and what send()
    // is given meanwhile goes out as soon as it has.
    Connection(std::uint16_t port, const TlsOptions& tls);
    ~Connection();  // close()
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;

    // Sends every byte at once.
    void send(std::string_view bytes);
    // Sends the bytes cut at the given offsets, pausing between pieces so
    // that the server really receives them in separate reads (over TLS, in
    // separate records, once the handshake is done).
    void send_in_pieces(std::string_view bytes, const std::vector<std::size_t>& cuts);

    // Reads one response. HEAD responses have no body whatever their
    // Content-Length says, so the caller must say when it sent HEAD. The
    // default wait is generous: a login hashes a password for a third of a
    // second, and much longer under sanitizers on a busy machine.
    Response read_response(bool head_request = false,
                           std::chrono::milliseconds timeout = std::chrono::seconds(15));

    // True once the server has closed (EOF or reset; over TLS also its
    // close_notify alert, or a fatal TLS error) within `timeout`.
    // Bytes that arrive meanwhile are kept in received().
    bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(2));

    // Closes our side completely (no more sends, no more reads). Over TLS it
    // first sends close_notify, unless the socket was set to reset on close
    // (SO_LINGER with a zero timeout): then the server sees a bare reset.
    void close();
    // Half-closes: sends FIN, but keeps reading. Over TLS it first finishes
    // the handshake and sends close_notify (in TLS 1.3 that closes only our
    // direction, RFC 8446 section 6.1), then the FIN.
    void shutdown_write();

    // Every byte the server has sent on this connection so far (over TLS,
    // the decrypted bytes).
    const std::string& received() const { return received_; }
    // The TCP socket, for socket options such as SO_LINGER.
    int fd() const { return fd_.get(); }

    // TLS only. Waits up to `timeout` for the handshake: true once it is
    // done, false on failure (see tls_error()) or timeout.
    bool finish_handshake(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool tls() const { return tls_ != nullptr; }
    bool handshake_done() const;
    // Whether the server ended the TLS stream with close_notify, TLS's own
    // "I am done" (RFC 8446 section 6.1), rather than by closing TCP alone.
    bool close_notify_received() const;
    // Why the handshake or the TLS session failed, "" if it did not.
    std::string tls_error() const;
    // What the handshake settled, "" before: "TLSv1.3", "http/1.1",
    // "TLS_AES_256_GCM_SHA384".
    std::string tls_version() const;
    std::string alpn() const;
    std::string cipher() const;

private:
    struct Tls;

    // Waits for more bytes; false on timeout, EOF or error (sets eof_).
    bool receive_more(std::chrono::steady_clock::time_point deadline);
    bool tls_receive_more(std::chrono::steady_clock::time_point deadline);
    bool tls_handshake(std::chrono::steady_clock::time_point deadline);
    bool tls_decrypt();
    void tls_send_unsent();
    void tls_flush(bool may_block);
    void tls_fail(std::string why);

    Fd fd_;
    std::string received_;
    std::size_t consumed_ = 0;  // bytes of received_ already parsed into responses
    bool eof_ = false;
    std::unique_ptr<Tls> tls_;  // null for plain TCP
};

// The bytes of the ClientHello a TLS Connection opens with (with SNI
// "localhost" and ALPN "http/1.1"): for tests that send only part of one.
std::string tls_client_hello();

// One request sent one way, and what came back. The connection is closed
// once the responses are read: stages 1-5 serve one connection at a time,
// so a test that kept it open would block its own next connection. Tests
// that go on talking on one connection use a Connection directly.
struct Exchange {
    std::string how;      // "in one piece", "one byte at a time", ...
    std::string request;  // the exact bytes sent
    std::vector<Response> responses;
    std::string received;  // every byte the server sent
    // Whether the server closed the connection after its last response.
    // When that response says "Connection: close" we wait (up to 2 s) for
    // the close; otherwise we only look whether it has already happened.
    bool closed = false;
    bool tls = false;  // sent over TLS: the replay command uses openssl s_client

    // What a learner needs to replay it by hand (TestServer fills them in):
    // the command line that starts the same server on the same port, the
    // port, and how long the exchange took (the replay waits as long).
    std::string server_command;
    std::uint16_t port = 0;
    std::chrono::milliseconds took{0};

    const Response& response() const { return responses.front(); }
};

// Reads `count` responses from `connection` into `exchange`, sets
// `closed`, then closes the connection.
void read_responses(Connection& connection, Exchange& exchange, int count, bool head_request);

// Printed by doctest's INFO() when a check fails: the bytes sent and got
// (at most about 2 KB of each, see bytes.hpp), and two commands that replay
// the exchange: one starts the server, the other sends the same bytes.
std::ostream& operator<<(std::ostream& out, const Exchange& exchange);

// The request most tests send: GET `target` over HTTP/1.1 with "Host: x",
// then `extra_headers` (each a whole line, ending in \r\n).
std::string get(std::string_view target, std::string_view extra_headers = "");

// How a request can be delivered: whole, a byte at a time (small requests),
// and cut at the awkward places (inside "\r\n", between head and body).
std::vector<std::pair<std::string, std::vector<std::size_t>>> deliveries(std::string_view request);
