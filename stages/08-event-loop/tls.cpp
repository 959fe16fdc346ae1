#include "tls.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "errors.hpp"

namespace {

// The reason of OpenSSL's latest error, "wrong version number", and its
// error queue emptied (errors left there would be blamed on the next call).
std::string openssl_error() {
    const unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0) return "the connection was closed";
    const char* reason = ERR_reason_error_string(code);
    return reason != nullptr ? reason : "error " + std::to_string(code);
}

// ANCHOR: alpn
// ALPN (RFC 7301): the client lists the protocols it speaks inside its
// ClientHello ("h2", "http/1.1"); the server picks one. We speak only
// HTTP/1.1, and a client that does not gets a no_application_protocol
// alert, as section 3.2 asks.
int select_http11(SSL*, const unsigned char** out, unsigned char* out_length,
                  const unsigned char* offered, unsigned int offered_length, void*) {
    static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, out_length, kHttp11, sizeof kHttp11, offered,
                              offered_length) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}
// ANCHOR_END: alpn

void require_readable(const std::string& flag, const std::string& file) {
    std::FILE* handle = std::fopen(file.c_str(), "r");
    if (handle == nullptr) {
        throw ConfigError(flag + " " + file + ": " + std::strerror(errno) +
                                 " (make certs creates a development certificate)");
    }
    std::fclose(handle);
}

}  // namespace

// ANCHOR: make_tls_context
TlsContext make_tls_context(const std::string& cert_file, const std::string& key_file) {
    TlsContext context(SSL_CTX_new(TLS_server_method()));
    if (!context) throw std::runtime_error("cannot create a TLS context: " + openssl_error());
    SSL_CTX* ctx = context.get();

    // TLS 1.0 and 1.1 are broken and retired (RFC 8996).
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // TLS 1.3's cipher suites are all modern. For TLS 1.2, keep only
    // ephemeral key exchange (ECDHE: a stolen key cannot decrypt old
    // traffic) with authenticated encryption (GCM, ChaCha20-Poly1305).
    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    // Renegotiation is an old TLS 1.2 feature with a history of attacks.
    // Session tickets are off, as Mozilla's guidelines ask unless their key
    // rotates: whoever steals OpenSSL's one key decrypts every TLS 1.2
    // session recorded since (RFC 5077 section 5). The session cache stays.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_alpn_select_cb(ctx, select_http11, nullptr);
    // Read ahead: a record's header and body in one read(), not two. Bytes
    // then wait inside OpenSSL, where the socket does not show them.
    SSL_CTX_set_read_ahead(ctx, 1);

    require_readable("--cert", cert_file);
    require_readable("--key", key_file);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
        throw ConfigError("--cert " + cert_file + ": " + openssl_error());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        throw ConfigError("--key " + key_file + ": " + openssl_error());
    }
    // Catch a key from another certificate now, not at the first handshake.
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        throw ConfigError("--key " + key_file + " does not match the certificate in --cert " +
                                 cert_file);
    }
    return context;
}
// ANCHOR_END: make_tls_context

namespace {

// ANCHOR: tls_stream
class TlsStream final : public Stream {
public:
    TlsStream(SSL_CTX* context, int fd) : Stream(fd), ssl_(SSL_new(context)) {
        if (ssl_ && SSL_set_fd(ssl_.get(), fd) != 1) ssl_.reset();
        // SSL_write may send part of the bytes, like send(); a retry after
        // WANT_WRITE may pass them from a new address (a queue that grew).
        if (ssl_) SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    ~TlsStream() override { send_close_notify(); }
    bool made() const { return ssl_ != nullptr; }

    // One step, as far as the bytes that have arrived allow.
    Handshake handshake(std::string& error) override {
        ERR_clear_error();
        const Step step = step_after(SSL_accept(ssl_.get()));
        if (step == Step::Done) return Handshake::Done;
        if (step == Step::WantRead) return Handshake::WantRead;
        if (step == Step::WantWrite) return Handshake::WantWrite;
        // "GET / HTTP/1.1" where a ClientHello belongs: OpenSSL knows.
        const bool plain_http = ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_HTTP_REQUEST;
        error = openssl_error();
        return plain_http ? Handshake::PlainHttp : Handshake::Failed;
    }
    bool handshake_done() const override { return SSL_is_init_finished(ssl_.get()) == 1; }
    // ANCHOR_END: tls_stream

    // ANCHOR: tls_read_write
    Step read_some(char* buffer, std::size_t capacity, std::size_t& n) override {
        ERR_clear_error();
        const int result = SSL_read(ssl_.get(), buffer, static_cast<int>(std::min<std::size_t>(capacity, INT_MAX)));
        const Step step = step_after(result);
        n = step == Step::Done ? static_cast<std::size_t>(result) : 0;
        // Part of a record at most is here: it is decrypted and checked whole.
        partial_record_ = step == Step::WantRead;
        ERR_clear_error();
        return step;
    }
    bool has_unread() override {
        char byte = 0;
        return SSL_has_pending(ssl_.get()) == 1 || ::recv(fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    }
    // Read-ahead took two records in one read(), or one record carried two
    // requests: a wait on the socket would not see them. Part of a record
    // does not count: the rest must come from the socket.
    bool has_buffered() const override { return !partial_record_ && SSL_has_pending(ssl_.get()) == 1; }

    Step write_some(std::string_view bytes, std::size_t& n, bool) override {
        ERR_clear_error();
        const int result = SSL_write(ssl_.get(), bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), INT_MAX)));
        const Step step = step_after(result);
        n = step == Step::Done ? static_cast<std::size_t>(result) : 0;
        ERR_clear_error();
        return step;
    }
    // ANCHOR_END: tls_read_write

    // ANCHOR: write_file
    // No sendfile: TLS encrypts every byte in this process. The file is read
    // a bounded chunk at a time: a large file never sits in memory whole.
    Step write_file(int file, std::uint64_t offset, std::uint64_t length, std::size_t& n) override {
        constexpr std::uint64_t kChunk = 64 * 1024;  // four full TLS records of 16 KiB
        if (chunk_.empty()) {
            chunk_.resize(std::min(length, kChunk));
            const ssize_t got = ::pread(file, chunk_.data(), chunk_.size(), static_cast<off_t>(offset));
            chunk_.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
            n = 0;
            if (got <= 0) return Step::Ended;  // a read error, or the file shrank: it cannot be sent
        }
        const Step step = write_some(chunk_, n, /*more=*/false);
        chunk_.erase(0, n);
        // Its buffer serves every chunk of the file, then goes: a quiet
        // connection keeps none.
        if (chunk_.empty() && n == length) chunk_.shrink_to_fit();
        return step;
    }
    // ANCHOR_END: write_file

    // ANCHOR: close_notify
    void close() override {
        send_close_notify();
        ::shutdown(fd(), SHUT_WR);
    }

private:
    // close_notify is TLS's "I am done": without it the client could not
    // tell our end from an attacker cutting the connection (RFC 8446 section
    // 6.1). Sent once, never after a fatal error (SSL_shutdown(3)) nor
    // before the handshake is done; we do not wait for the client's own.
    void send_close_notify() {
        if (!ssl_ || said_goodbye_ || broken_ || !handshake_done()) return;
        said_goodbye_ = true;
        SSL_shutdown(ssl_.get());
        ERR_clear_error();
    }
    // ANCHOR_END: close_notify

    // ANCHOR: step
    // Every OpenSSL call returns at once (the socket is non-blocking) and
    // says what it needs before it can go on (SSL_get_error(3)).
    Step step_after(int result) {
        if (result > 0) return Step::Done;
        switch (SSL_get_error(ssl_.get(), result)) {
            case SSL_ERROR_WANT_READ: return Step::WantRead;
            case SSL_ERROR_WANT_WRITE: return Step::WantWrite;
            case SSL_ERROR_ZERO_RETURN: return Step::Ended;  // the client's close_notify
            default: broken_ = true; return Step::Ended;    // a reset, a bad record, an alert
        }
    }
    // ANCHOR_END: step

    struct SslFree {
        // OpenSSL forgets the session of a connection freed before
        // close_notify; "the shutdown is done" keeps it for the client's
        // next connection, as TLS 1.1 and later allow (RFC 5246 7.2.1).
        void operator()(SSL* ssl) const {
            SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
            SSL_free(ssl);
        }
    };
    std::unique_ptr<SSL, SslFree> ssl_;
    std::string chunk_;           // write_file's: read from the file, not yet sent
    bool partial_record_ = false;  // the last read found only part of a record
    bool broken_ = false;        // a fatal error: no close_notify may follow
    bool said_goodbye_ = false;  // close_notify sent
};

}  // namespace

std::unique_ptr<Stream> tls_stream(SSL_CTX* context, int fd) {
    auto stream = std::make_unique<TlsStream>(context, fd);
    if (!stream->made()) {
        ERR_clear_error();
        return nullptr;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    // No Nagle: TLS 1.3 sends session tickets after the handshake, and Nagle
    // would hold our first response until the client ACKs them (up to 40 ms).
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    return stream;
}
