#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <thread>

#include "bytes.hpp"
#include "errors.hpp"
#include "shell.hpp"
#include "strings.hpp"

std::string Response::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return "";
}

bool Response::has_header(std::string_view name) const {
    for (const auto& header : headers) {
        if (iequals(header.first, name)) return true;
    }
    return false;
}

namespace {

using Clock = std::chrono::steady_clock;

// The certificate the server is checked against: self-signed, so it is its
// own trust anchor. Relative, like the server's own default: tests run from
// the repository root.
constexpr const char* kCaFile = "build/certs/cert.pem";

// How long a new TLS connection waits for its handshake before returning
// with it unfinished. On loopback a handshake takes about a millisecond;
// the wait only runs out when every worker of the server is busy, and
// tests that make that happen (twenty clients at once, say) would be slowed
// down by a longer one, once per connection.
constexpr auto kHandshakeGrace = std::chrono::milliseconds(25);
// How long to wait where the handshake must be finished first: before
// bytes that must arrive in separate pieces, and before close_notify.
constexpr auto kHandshakeTimeout = std::chrono::seconds(5);

struct SslCtxFree {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

// OpenSSL's error queue as one line, emptying it.
std::string openssl_errors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char line[256];
        ERR_error_string_n(code, line, sizeof line);
        if (!text.empty()) text += "; ";
        text += line;
    }
    return text;
}

SslCtxPtr make_client_context() {
    SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
    if (!context) throw std::runtime_error("SSL_CTX_new: " + openssl_errors());
    if (SSL_CTX_load_verify_locations(context.get(), kCaFile, nullptr) != 1) {
        throw std::runtime_error(std::string("cannot load ") + kCaFile +
                                 " to verify the server's certificate (run make certs from the "
                                 "repository root): " + openssl_errors());
    }
    // A failed verification fails the handshake, as in a browser: a test
    // never talks to a server whose certificate it could not check.
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
    return context;
}

// One context for the whole test run (loading the CA file once); what
// differs between connections is set on each SSL.
SSL_CTX* client_context() {
    static const SslCtxPtr context = make_client_context();
    return context.get();
}

int openssl_version(TlsVersion version) {
    switch (version) {
        case TlsVersion::tls1_0: return TLS1_VERSION;
        case TlsVersion::tls1_1: return TLS1_1_VERSION;
        case TlsVersion::tls1_2: return TLS1_2_VERSION;
        case TlsVersion::tls1_3: return TLS1_3_VERSION;
        case TlsVersion::library_default: break;
    }
    return 0;
}

// A new client SSL that reads from and writes to memory buffers instead of
// the socket: the Connection moves the bytes itself, so that it can wait
// with poll() and a deadline exactly as it does for plain TCP, and send
// with MSG_NOSIGNAL (OpenSSL's socket BIO would raise SIGPIPE when the
// server has gone).
SslPtr make_client_ssl(const TlsOptions& options) {
    SslPtr ssl(SSL_new(client_context()));
    if (!ssl) throw std::runtime_error("SSL_new: " + openssl_errors());
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    if (in == nullptr || out == nullptr) {
        BIO_free(in);
        BIO_free(out);
        throw std::runtime_error("BIO_new: " + openssl_errors());
    }
    SSL_set_bio(ssl.get(), in, out);  // the SSL owns both from here
    SSL_set_connect_state(ssl.get());

    bool ok = true;
    if (!options.server_name.empty()) {
        ok &= SSL_set_tlsext_host_name(ssl.get(), options.server_name.c_str()) == 1;
    }
    if (!options.expected_name.empty()) {
        // An IP address is matched against the certificate's IP entries,
        // a name against its DNS entries (RFC 6125).
        in6_addr ignored;
        const bool is_ip = ::inet_pton(AF_INET, options.expected_name.c_str(), &ignored) == 1 ||
                           ::inet_pton(AF_INET6, options.expected_name.c_str(), &ignored) == 1;
        ok &= is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()),
                                                    options.expected_name.c_str()) == 1
                    : SSL_set1_host(ssl.get(), options.expected_name.c_str()) == 1;
    }
    if (!options.alpn.empty()) {
        // ALPN's wire format: each protocol name preceded by its length.
        const std::string protocols = static_cast<char>(options.alpn.size()) + options.alpn;
        ok &= SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(protocols.data()),
                                  static_cast<unsigned>(protocols.size())) == 0;  // 0 is success here
    }
    TlsVersion min = options.min_version;
    const TlsVersion max = options.max_version;
    if (max != TlsVersion::library_default && max <= TlsVersion::tls1_1 &&
        min == TlsVersion::library_default) {
        min = TlsVersion::tls1_0;
    }
    if (min != TlsVersion::library_default) {
        ok &= SSL_set_min_proto_version(ssl.get(), openssl_version(min)) == 1;
    }
    if (max != TlsVersion::library_default) {
        ok &= SSL_set_max_proto_version(ssl.get(), openssl_version(max)) == 1;
    }
    if ((min != TlsVersion::library_default && min <= TlsVersion::tls1_1) ||
        (max != TlsVersion::library_default && max <= TlsVersion::tls1_1)) {
        // OpenSSL 3 refuses TLS 1.0 and 1.1 at its default security level
        // (they sign with SHA-1): level 0 lets this client offer them, so
        // that a test sees the server refuse them, not its own client.
        SSL_set_security_level(ssl.get(), 0);
        ok &= SSL_set_cipher_list(ssl.get(), options.tls12_ciphers.empty()
                                                 ? "DEFAULT:@SECLEVEL=0"
                                                 : options.tls12_ciphers.c_str()) == 1;
    } else if (!options.tls12_ciphers.empty()) {
        ok &= SSL_set_cipher_list(ssl.get(), options.tls12_ciphers.c_str()) == 1;
    }
    if (!ok) throw std::runtime_error("bad TlsOptions: " + openssl_errors());
    return ssl;
}

// Sends all of `bytes`; false when the socket refuses them (the server has
// gone, or with MSG_DONTWAIT, it is not reading).
bool send_all(int fd, std::string_view bytes, int flags) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | flags);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

enum class ReadResult { data, eof, timeout };

// Waits until `deadline` (a deadline already past still looks once) for
// bytes on the socket and appends them to `out`.
ReadResult read_some(int fd, Clock::time_point deadline, std::string& out) {
    while (true) {
        const auto left = std::max<long long>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return ReadResult::timeout;
        char buffer[64 * 1024];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return ReadResult::eof;  // EOF, or a reset: either way nothing more will come
        out.append(buffer, static_cast<std::size_t>(n));
        return ReadResult::data;
    }
}

// Whether close() on this socket sends a reset (SO_LINGER, zero timeout).
bool resets_on_close(int fd) {
    linger value{};
    socklen_t size = sizeof value;
    return ::getsockopt(fd, SOL_SOCKET, SO_LINGER, &value, &size) == 0 && value.l_onoff != 0 &&
           value.l_linger == 0;
}

}  // namespace

// The TLS side of a Connection.
struct Connection::Tls {
    SslPtr ssl;
    bool handshake_done = false;
    bool failed = false;             // the handshake or the session failed: no more TLS I/O
    bool tcp_eof = false;            // the TCP stream has ended (FIN or reset)
    bool write_failed = false;       // the socket refused our bytes: the server has gone
    bool close_notify_sent = false;
    bool close_notify_received = false;  // the server ended the stream with its close_notify
    std::string unsent;              // plaintext given to send() before the handshake was done
    std::string error;
};

Connection::Connection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (!fd_.valid()) throw_errno("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
        throw_errno("connect to port " + std::to_string(port));
    }
    // Every piece we send must leave at once, not wait to be merged (Nagle).
    const int yes = 1;
    ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
}

Connection::Connection(std::uint16_t port, const TlsOptions& options) : Connection(port) {
    tls_ = std::make_unique<Tls>();
    tls_->ssl = make_client_ssl(options);
    tls_handshake(Clock::now() + kHandshakeGrace);
}

Connection::~Connection() { close(); }
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

void Connection::send(std::string_view bytes) {
    if (tls_) {
        if (!fd_.valid() || tls_->failed || tls_->write_failed || bytes.empty()) return;
        tls_->unsent.append(bytes);
        // Take in whatever the server has answered so far, without waiting:
        // over plain TCP send() does not wait for the server either.
        if (!tls_->handshake_done) tls_handshake(Clock::now());
        tls_send_unsent();
        return;
    }
    // On failure the server has closed early; what it said is in received().
    send_all(fd_.get(), bytes, 0);
}

void Connection::send_in_pieces(std::string_view bytes, const std::vector<std::size_t>& cuts) {
    // Before the handshake is done, pieces would pile up and leave together.
    if (tls_ && !cuts.empty()) finish_handshake(kHandshakeTimeout);
    std::size_t start = 0;
    for (const std::size_t cut : cuts) {
        if (cut <= start || cut >= bytes.size()) continue;
        send(bytes.substr(start, cut - start));
        start = cut;
        // Long enough for the server to read this piece on its own.
        std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    send(bytes.substr(start));
}

void Connection::shutdown_write() {
    if (tls_ && fd_.valid()) {
        // The bytes sent so far must leave before "no more": finish the
        // handshake if it is still going, then send close_notify.
        finish_handshake(kHandshakeTimeout);
        if (tls_->handshake_done && !tls_->failed && !tls_->close_notify_sent) {
            tls_send_unsent();
            ERR_clear_error();
            SSL_shutdown(tls_->ssl.get());
            tls_->close_notify_sent = true;
            tls_flush(true);
        }
    }
    // The FIN as well: a server may watch the socket rather than the TLS
    // session for the end of the request.
    ::shutdown(fd_.get(), SHUT_WR);
}

void Connection::close() {
    if (tls_ && fd_.valid() && tls_->handshake_done && !tls_->failed && !tls_->close_notify_sent &&
        !tls_->write_failed && !resets_on_close(fd_.get())) {
        // Say goodbye properly (RFC 8446 section 6.1), so that the server
        // can tell a finished client from a connection cut mid-way. Without
        // waiting: a server that does not read cannot block our close.
        ERR_clear_error();
        SSL_shutdown(tls_->ssl.get());
        tls_->close_notify_sent = true;
        tls_flush(false);
    }
    fd_.reset();
}

bool Connection::receive_more(Clock::time_point deadline) {
    if (eof_ || !fd_.valid()) return false;
    if (tls_) return tls_receive_more(deadline);
    if (deadline <= Clock::now()) return false;
    switch (read_some(fd_.get(), deadline, received_)) {
        case ReadResult::data: return true;
        case ReadResult::eof: eof_ = true; return false;
        case ReadResult::timeout: return false;
    }
    return false;
}

// --- TLS ---------------------------------------------------------------
// OpenSSL reads TLS records from one memory buffer (the read BIO) and
// writes records into another (the write BIO); these functions move bytes
// between those buffers and the socket. Every record that arrives is
// decrypted at once, down to the last byte (tls_decrypt), so OpenSSL never
// holds plaintext that poll() on the socket could not see (the classic
// SSL_pending() trap): when we wait on the socket, it really is for new
// bytes.

bool Connection::finish_handshake(std::chrono::milliseconds timeout) {
    if (!tls_) return false;
    return tls_handshake(Clock::now() + timeout);
}

bool Connection::handshake_done() const { return tls_ && tls_->handshake_done; }

bool Connection::close_notify_received() const { return tls_ && tls_->close_notify_received; }

std::string Connection::tls_error() const { return tls_ ? tls_->error : ""; }

std::string Connection::tls_version() const {
    return handshake_done() ? SSL_get_version(tls_->ssl.get()) : "";
}

std::string Connection::alpn() const {
    if (!handshake_done()) return "";
    const unsigned char* name = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(tls_->ssl.get(), &name, &length);
    return name == nullptr ? "" : std::string(reinterpret_cast<const char*>(name), length);
}

std::string Connection::cipher() const {
    if (!handshake_done()) return "";
    const SSL_CIPHER* cipher = SSL_get_current_cipher(tls_->ssl.get());
    return cipher == nullptr ? "" : SSL_CIPHER_get_name(cipher);
}

void Connection::tls_fail(std::string why) {
    tls_->failed = true;
    tls_->error = std::move(why);
    tls_->unsent.clear();
    eof_ = true;  // nothing more can be read
}

// Moves the records OpenSSL has written to the socket. Once the socket has
// refused bytes, later records are dropped: the server is gone.
void Connection::tls_flush(bool may_block) {
    BIO* out = SSL_get_wbio(tls_->ssl.get());
    char buffer[16 * 1024];
    int n;
    while ((n = BIO_read(out, buffer, sizeof buffer)) > 0) {
        if (tls_->write_failed || !fd_.valid()) continue;
        if (!send_all(fd_.get(), std::string_view(buffer, static_cast<std::size_t>(n)),
                      may_block ? 0 : MSG_DONTWAIT)) {
            tls_->write_failed = true;
        }
    }
}

// Drives the handshake until it is done (true), fails (false, eof_ set), or
// `deadline` passes (false).
bool Connection::tls_handshake(Clock::time_point deadline) {
    Tls& tls = *tls_;
    SSL* ssl = tls.ssl.get();
    while (!tls.handshake_done && !tls.failed && fd_.valid()) {
        ERR_clear_error();
        const int rc = SSL_do_handshake(ssl);
        const int error = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, rc);
        tls_flush(true);  // our ClientHello or Finished, or the alert that ends it
        if (rc == 1) {
            tls.handshake_done = true;
            tls_send_unsent();
            break;
        }
        if (error != SSL_ERROR_WANT_READ) {
            std::string why = openssl_errors();
            const long verify = SSL_get_verify_result(ssl);
            if (verify != X509_V_OK) {
                why += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
            }
            tls_fail("TLS handshake failed: " + (why.empty() ? "error " + std::to_string(error) : why));
            break;
        }
        if (tls.tcp_eof) {
            tls_fail("TLS handshake failed: the server closed the connection");
            break;
        }
        std::string bytes;
        switch (read_some(fd_.get(), deadline, bytes)) {
            case ReadResult::timeout: return false;
            case ReadResult::eof: tls.tcp_eof = true; break;
            case ReadResult::data:
                BIO_write(SSL_get_rbio(ssl), bytes.data(), static_cast<int>(bytes.size()));
                break;
        }
    }
    return tls.handshake_done;
}

// Encrypts and sends what send() was given, once the handshake is done.
void Connection::tls_send_unsent() {
    Tls& tls = *tls_;
    if (!tls.handshake_done || tls.failed || tls.unsent.empty()) return;
    if (!tls.write_failed) {
        ERR_clear_error();
        std::size_t written = 0;
        // Into a memory BIO, so the whole buffer is taken at once; the
        // socket then gets it in as many records as it takes.
        if (SSL_write_ex(tls.ssl.get(), tls.unsent.data(), tls.unsent.size(), &written) != 1) {
            tls.write_failed = true;  // e.g. the server has already said close_notify
        }
        tls_flush(true);
    }
    tls.unsent.clear();
}

// Decrypts every complete record received so far into received_; true if
// that added bytes. close_notify and fatal errors end the stream (eof_).
bool Connection::tls_decrypt() {
    SSL* ssl = tls_->ssl.get();
    bool got = false;
    char buffer[16 * 1024];
    while (!eof_) {
        ERR_clear_error();
        std::size_t n = 0;
        const int rc = SSL_read_ex(ssl, buffer, sizeof buffer, &n);
        if (rc == 1) {
            received_.append(buffer, n);
            got = true;
            continue;
        }
        const int error = SSL_get_error(ssl, rc);
        if (error == SSL_ERROR_WANT_READ) break;  // a partial record: wait for the rest
        if (error == SSL_ERROR_ZERO_RETURN) {
            eof_ = true;  // close_notify: the server's clean end of the stream
            tls_->close_notify_received = true;
        } else {
            const std::string why = openssl_errors();
            tls_fail("TLS error: " + (why.empty() ? "error " + std::to_string(error) : why));
        }
    }
    tls_flush(true);  // anything reading made OpenSSL answer (a KeyUpdate, say)
    return got;
}

bool Connection::tls_receive_more(Clock::time_point deadline) {
    while (true) {
        if (!tls_->handshake_done && !tls_handshake(deadline)) return false;
        if (tls_decrypt()) return true;
        if (eof_) return false;
        if (tls_->tcp_eof) {
            // A TCP end without close_notify: still the end of the stream
            // (RFC 8446 section 6.1 calls it truncation; HTTP/1.1 framing
            // says whether anything was really lost).
            eof_ = true;
            return false;
        }
        std::string bytes;
        switch (read_some(fd_.get(), deadline, bytes)) {
            case ReadResult::timeout: return false;
            case ReadResult::eof: tls_->tcp_eof = true; break;
            case ReadResult::data:
                BIO_write(SSL_get_rbio(tls_->ssl.get()), bytes.data(), static_cast<int>(bytes.size()));
                break;
        }
    }
}

std::string tls_client_hello() {
    SslPtr ssl = make_client_ssl(TlsOptions{});
    ERR_clear_error();
    SSL_do_handshake(ssl.get());  // writes the ClientHello, then wants the server's answer
    ERR_clear_error();
    std::string hello;
    BIO* out = SSL_get_wbio(ssl.get());
    char buffer[4096];
    int n;
    while ((n = BIO_read(out, buffer, sizeof buffer)) > 0) hello.append(buffer, static_cast<std::size_t>(n));
    return hello;
}

namespace {

// Parses a response head (status line + headers, without the blank line).
bool parse_head(std::string_view head, Response& response) {
    const auto lines = split(head, '\n');
    std::string_view status_line = lines.front();
    if (status_line.ends_with('\r')) status_line.remove_suffix(1);
    const auto first_space = status_line.find(' ');
    if (first_space == std::string_view::npos) return false;
    response.version = status_line.substr(0, first_space);
    const std::string_view rest = status_line.substr(first_space + 1);
    const auto code = parse_decimal(rest.substr(0, 3));
    if (!code || rest.size() < 3 || (rest.size() > 3 && rest[3] != ' ')) return false;
    response.status = static_cast<int>(*code);
    response.reason = rest.size() > 4 ? std::string(rest.substr(4)) : "";
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        if (line.ends_with('\r')) line.remove_suffix(1);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return false;
        response.headers.emplace_back(line.substr(0, colon), trim_ows(line.substr(colon + 1)));
    }
    return true;
}

}  // namespace

Response Connection::read_response(bool head_request, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Response response;
    std::size_t head_end;
    while ((head_end = received_.find("\r\n\r\n", consumed_)) == std::string::npos) {
        if (!receive_more(deadline)) {
            response.error = eof_ ? "the server closed the connection before a complete response"
                                  : "no complete response within " +
                                        std::to_string(timeout.count()) + " ms";
            if (!tls_error().empty()) response.error += " (" + tls_error() + ")";
            return response;
        }
    }
    if (!parse_head(std::string_view(received_).substr(consumed_, head_end - consumed_),
                    response)) {
        response.status = 0;
        response.error = "the response head is not valid HTTP";
        return response;
    }
    std::size_t body_start = head_end + 4;
    std::size_t length = 0;
    const bool has_body = !head_request && response.status >= 200 && response.status != 204 &&
                          response.status != 304;
    if (has_body && response.has_header("Content-Length")) {
        const auto parsed = parse_decimal(response.header("Content-Length"));
        if (!parsed) {
            response.status = 0;
            response.error = "bad Content-Length in the response";
            return response;
        }
        length = *parsed;
    } else if (has_body) {
        // No length: the body runs until the server closes.
        while (receive_more(deadline)) {
        }
        length = received_.size() - body_start;
    }
    while (received_.size() < body_start + length) {
        if (!receive_more(deadline)) {
            response.status = 0;
            response.error = "the body was cut short";
            return response;
        }
    }
    response.body = received_.substr(body_start, length);
    consumed_ = body_start + length;
    return response;
}

bool Connection::closed_by_server(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (receive_more(deadline)) {
    }
    return eof_;
}

std::string get(std::string_view target, std::string_view extra_headers) {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra_headers) + "\r\n";
}

std::vector<std::pair<std::string, std::vector<std::size_t>>> deliveries(std::string_view request) {
    std::vector<std::pair<std::string, std::vector<std::size_t>>> ways;
    ways.push_back({"in one piece", {}});
    if (request.size() > 1 && request.size() <= 600) {
        std::vector<std::size_t> every_byte;
        for (std::size_t i = 1; i < request.size(); ++i) every_byte.push_back(i);
        ways.push_back({"one byte at a time", every_byte});
    }
    // The places a parser that assumes "one read() = one line" trips over:
    // between CR and LF, just after each line, just after the head.
    std::vector<std::size_t> awkward;
    for (std::size_t i = 1; i < request.size() && awkward.size() < 64; ++i) {
        if (request[i - 1] == '\r' || request[i - 1] == '\n' || request[i - 1] == ':') {
            awkward.push_back(i);
        }
    }
    if (request.size() > 2) awkward.push_back(request.size() - 1);  // all but the last byte
    if (!awkward.empty()) ways.push_back({"cut inside and between lines", awkward});
    return ways;
}

void read_responses(Connection& connection, Exchange& exchange, int count, bool head_request) {
    for (int i = 0; i < count; ++i) {
        exchange.responses.push_back(connection.read_response(head_request));
        if (exchange.responses.back().status == 0) break;
    }
    const Response& last = exchange.responses.back();
    const bool announced = iequals(last.header("Connection"), "close");
    exchange.closed = connection.closed_by_server(
        announced || last.status == 0 ? std::chrono::milliseconds(2000) : std::chrono::milliseconds(0));
    exchange.received = connection.received();
    connection.close();
}

namespace {

// A request longer than this (escaped) is replayed from a file: a command
// line that fills the screen is not one anybody reads or pastes.
constexpr std::size_t kLongestReplayWord = 1024;

// `bytes` as one bash word that stands for exactly them: $'...', whose
// escapes are escape_bytes()'s (\r \n \t \\ \xHH) plus \' for a quote. In
// it, % and $ and ! are plain characters. Nothing when a word cannot hold
// the bytes (bash strings end at a NUL) or they are too long to read.
std::optional<std::string> bash_word(std::string_view bytes) {
    if (bytes.find('\0') != std::string_view::npos) return std::nullopt;
    std::string word = "$'";
    for (const char c : escape_bytes(bytes)) {
        if (c == '\'') word += '\\';
        word += c;
    }
    word += '\'';
    if (word.size() > kLongestReplayWord) return std::nullopt;
    return word;
}

// Writes `bytes` to a file under build/replay/ (relative: tests run from
// the repository root) and returns its path. The name comes from the port
// and the bytes, so printing the same exchange twice writes one file.
std::string write_replay_file(std::string_view bytes, std::uint16_t port) {
    char name[64];
    std::snprintf(name, sizeof name, "build/replay/%u-%016zx.bin", static_cast<unsigned>(port),
                  std::hash<std::string_view>{}(bytes));
    std::error_code ignored;
    std::filesystem::create_directories("build/replay", ignored);
    std::ofstream(name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return name;
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const Exchange& exchange) {
    out << "request sent " << exchange.how << " (" << exchange.request.size() << " bytes):\n  "
        << show_bytes(exchange.request) << "\nresponse received (" << exchange.received.size()
        << " bytes" << (exchange.closed ? ", then the server closed the connection" : "")
        << "):\n  " << show_bytes(exchange.received);
    for (const Response& response : exchange.responses) {
        if (!response.error.empty()) out << "\n  (" << response.error << ")";
    }

    // The same exchange by hand: the server as the test started it, on the
    // same port, and the same bytes. No -C for nc: the bytes carry their
    // own CRLFs. nc -q waits after sending as long as the test waited for
    // the answer, and a second more; openssl s_client -quiet waits until
    // the server closes, and checks the server as the test client does
    // (SNI localhost, build/certs/cert.pem), saying nothing when all is well.
    const std::string port = exchange.port ? std::to_string(exchange.port) : "PORT";
    const std::string client =
        exchange.tls ? "openssl s_client -quiet -verify_quiet -servername localhost "
                       "-CAfile build/certs/cert.pem -connect 127.0.0.1:" + port
                     : "nc -q" + std::to_string(exchange.took.count() / 1000 + 1) + " 127.0.0.1 " + port;
    const std::optional<std::string> word = bash_word(exchange.request);
    const std::string send =
        word ? "printf '%s' " + *word + " | " + client
             : client + " < " + write_replay_file(exchange.request, exchange.port);
    out << "\nto replay it by hand, start the server as the test did, in one terminal:\n  "
        << (exchange.server_command.empty() ? "(the server) --port " + port : exchange.server_command)
        << "\nthen send the same bytes" << (exchange.how == "in one piece" ? "" : ", in one piece,")
        << " from another:\n  " << send;
    return out;
}
