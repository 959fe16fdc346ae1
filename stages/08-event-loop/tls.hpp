// TLS with OpenSSL: what turns http:// into https://.
//
// TLS sits between TCP and HTTP. After a handshake that proves the server
// owns its certificate and agrees on keys, every byte in both directions is
// encrypted and authenticated; HTTP above it does not change at all.
//
//   client                                   server
//   ClientHello (versions, ciphers, ALPN) -->
//                      <-- ServerHello, certificate, key share, Finished
//   key share, Finished                   -->
//   GET / HTTP/1.1 ... (encrypted)        -->
//                      <-- HTTP/1.1 200 OK ... (encrypted)
//
// (TLS 1.3, RFC 8446 section 2; TLS 1.2 takes one more round trip.)
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>


// OpenSSL objects are C structs with free functions: unique_ptr with a
// deleter makes them RAII like everything else here.
struct SslContextFree {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
struct SslFree {
    // OpenSSL forgets the session of a connection freed before close_notify
    // was sent; we tell it the shutdown is done, so that a client that left
    // or sat idle until we closed can still resume: TLS 1.1 and later allow
    // it (RFC 5246 section 7.2.1).
    void operator()(SSL* ssl) const {
        SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(ssl);
    }
};
using TlsContext = std::unique_ptr<SSL_CTX, SslContextFree>;
using TlsSession = std::unique_ptr<SSL, SslFree>;

// Made once at start-up: certificate and key (checked to match), TLS 1.2
// as the minimum, modern ciphers, ALPN "http/1.1". Throws
// std::runtime_error with one line naming the file at fault.
TlsContext make_tls_context(const std::string& cert_file, const std::string& key_file);

// A TLS session on `fd`, before its handshake; null if OpenSSL fails.
// The socket is non-blocking: every OpenSSL call returns at once, and the
// event loop waits for what it needs. (A blocking SSL_accept waits forever
// for a client that sends half a ClientHello.) It also sends small writes
// at once (TCP_NODELAY): see tls.cpp for the 40 ms it saves.
TlsSession tls_start(SSL_CTX* context, int fd);

struct HandshakeStep {
    bool done = false;        // the handshake is complete
    bool want_write = false;  // not done: go on once the socket is writable
    std::string error;        // set when it failed, for the log
    bool plain_http = false;  // it failed because the client spoke plain HTTP
};

// Takes the handshake as far as the bytes that have arrived allow. Neither
// done nor failed: wait until the socket is readable (or writable, if it
// says so), then call it again.
HandshakeStep tls_handshake_step(SSL* tls);

// Decrypted bytes that have arrived: their count, 0 when the client has
// closed, or nothing yet (only part of a TLS record is here).
std::optional<std::size_t> tls_read_some(SSL* tls, char* buffer, std::size_t capacity);

// Encrypts and sends what the socket takes now: a count, 0 if the client is
// gone, or nothing yet. After nothing, pass the same bytes again (and
// perhaps more after them).
std::optional<std::size_t> tls_write_some(SSL* tls, std::string_view bytes);

// Sends close_notify, TLS's "I am done": without it the client could not
// tell our end from an attacker cutting the connection (RFC 8446 section 6.1).
void tls_close(SSL* tls);
