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

#include <memory>
#include <string>

#include "stream.hpp"

// OpenSSL objects are C structs with free functions: unique_ptr with a
// deleter makes them RAII like everything else here.
struct SslContextFree {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
using TlsContext = std::unique_ptr<SSL_CTX, SslContextFree>;

// Made once at start-up: certificate and key (checked to match), TLS 1.2
// as the minimum, modern ciphers, ALPN "http/1.1". Throws ConfigError
// (errors.hpp) with one line naming the file at fault.
TlsContext make_tls_context(const std::string& cert_file, const std::string& key_file);

// A TLS stream over `fd`, its handshake still to come; null if OpenSSL
// cannot make one. It makes the socket non-blocking: a blocking SSL_accept
// waits for ever for a client that sends half a ClientHello. Destroyed after
// its handshake, it says goodbye with close_notify if it has not yet.
std::unique_ptr<Stream> tls_stream(SSL_CTX* context, int fd);
