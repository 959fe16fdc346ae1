#include "tls.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>

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
        throw std::runtime_error(flag + " " + file + ": " + std::strerror(errno) +
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
    // Session tickets are off, as Mozilla's server-side TLS guidelines ask
    // unless their keys are rotated: a TLS 1.2 ticket is the session's
    // secret encrypted under one key that OpenSSL makes at start-up and
    // keeps until exit, so whoever steals that key can decrypt every TLS
    // 1.2 session recorded since, which undoes ECDHE's forward secrecy (RFC
    // 5077 section 5). Clients still resume through OpenSSL's session cache
    // (a session id in TLS 1.2, a ticket that names a cache entry in TLS
    // 1.3), whose entries expire after two hours.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_alpn_select_cb(ctx, select_http11, nullptr);
    // Read ahead: take whatever the socket holds in one read() instead of
    // a record's 5-byte header first and then its body, so a request costs
    // one system call, not two. The price: bytes can now wait inside
    // OpenSSL, unseen by epoll; the connection asks SSL_has_pending.
    SSL_CTX_set_read_ahead(ctx, 1);
    // SSL_write may send part of a buffer, like send(); and a retry after
    // WANT_WRITE may pass the same bytes from a new address (the write
    // queue is a std::string that grows).
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    require_readable("--cert", cert_file);
    require_readable("--key", key_file);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
        throw std::runtime_error("--cert " + cert_file + ": " + openssl_error());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        throw std::runtime_error("--key " + key_file + ": " + openssl_error());
    }
    // Catch a key from another certificate now, not at the first handshake.
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        throw std::runtime_error("--key " + key_file + " does not match the certificate in --cert " +
                                 cert_file);
    }
    return context;
}
// ANCHOR_END: make_tls_context

// ANCHOR: tls_accept
TlsSession tls_start(SSL_CTX* context, int fd) {
    TlsSession tls(SSL_new(context));
    if (!tls || SSL_set_fd(tls.get(), fd) != 1) {
        ERR_clear_error();
        return nullptr;
    }
    // Turn off Nagle's algorithm. Over plain TCP each response leaves in one
    // write, but TLS adds writes of its own: right after the handshake, TLS
    // 1.3 sends session tickets. Our first response is then a second small
    // write, and Nagle holds it until the client ACKs the tickets, which a
    // client delays by up to 40 ms: the first request of every connection
    // took ~44 ms instead of ~0.2 ms. A response is still one SSL_write, one
    // record, so this sends no extra packets.
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    return tls;
}

HandshakeStep tls_handshake_step(SSL* tls) {
    HandshakeStep result;
    ERR_clear_error();
    const int rc = SSL_accept(tls);
    const int reason = SSL_get_error(tls, rc);
    result.done = rc == 1;
    // Not done yet: more bytes needed from the client, or (rare in a
    // handshake) room in our side's buffer.
    result.want_write = reason == SSL_ERROR_WANT_WRITE;
    if (result.done || reason == SSL_ERROR_WANT_READ || result.want_write) return result;
    // "GET / HTTP/1.1" where a ClientHello belongs: OpenSSL knows.
    result.plain_http = ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_HTTP_REQUEST;
    result.error = openssl_error();
    return result;
}
// ANCHOR_END: tls_accept

// ANCHOR: tls_read_write
std::optional<std::size_t> tls_read_some(SSL* tls, char* buffer, std::size_t capacity) {
    ERR_clear_error();
    const int n = SSL_read(tls, buffer, static_cast<int>(std::min<std::size_t>(capacity, INT_MAX)));
    if (n > 0) return static_cast<std::size_t>(n);
    const int reason = SSL_get_error(tls, n);
    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return std::nullopt;
    ERR_clear_error();
    return 0;  // close_notify, a reset, or a record that failed to decrypt: the end
}

std::optional<std::size_t> tls_write_some(SSL* tls, std::string_view bytes) {
    ERR_clear_error();
    const int n = SSL_write(tls, bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), INT_MAX)));
    if (n > 0) return static_cast<std::size_t>(n);
    const int reason = SSL_get_error(tls, n);
    if (reason == SSL_ERROR_WANT_WRITE || reason == SSL_ERROR_WANT_READ) return std::nullopt;
    ERR_clear_error();
    return 0;  // the client is gone
}
// ANCHOR_END: tls_read_write

void tls_close(SSL* tls) {
    SSL_shutdown(tls);  // sends close_notify; we do not wait for the client's
    ERR_clear_error();
}
