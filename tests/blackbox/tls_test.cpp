// Stage 7: HTTPS.
//
// Every earlier stage's tests already run over TLS against this stage (a
// TestServer whose listening line says https:// speaks TLS, see
// tests/support/test_server.hpp). These check what TLS itself adds: the
// versions and certificate, HSTS, Secure cookies, the redirect from plain
// HTTP, bad certificate files, and a server that survives clients that get
// TLS wrong. From stage 8 every test runs once more without TLS (--plain),
// where these skip themselves.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>

#include "bytes.hpp"
#include "errors.hpp"
#include "fd.hpp"
#include "stage_test.hpp"
#include "strings.hpp"
#include "temp_folder.hpp"
#include "test_server.hpp"

using namespace std::chrono_literals;

namespace {

// HSTS asks browsers to remember "HTTPS only" for max-age seconds; a year
// is the usual value, and what preload lists require.
constexpr unsigned long long kOneYear = 365 * 24 * 60 * 60;
// How soon a normal request must be answered while other clients stall or
// botch their handshakes: a stalled handshake must not hold a worker for
// longer than that (or must not hold one at all).
constexpr auto kServedWithin = 3s;

// GET with the Host a browser sends here: the name the certificate and
// the SNI carry.
std::string get_localhost(std::string_view target) {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

// One request on a new TLS connection; status 0 if no answer in `within`.
Response fetch(const TestServer& server, std::string_view target,
               std::chrono::milliseconds within = 5s) {
    Connection client = server.connect();
    client.send(get_localhost(target));
    return client.read_response(false, within);
}

TlsOptions only_version(TlsVersion version) {
    TlsOptions options;
    options.min_version = version;
    options.max_version = version;
    return options;
}

// The max-age of a Strict-Transport-Security value (RFC 6797 section 6.1):
// "max-age=31536000; includeSubDomains" -> 31536000.
std::optional<unsigned long long> hsts_max_age(std::string_view value) {
    for (std::string_view directive : split(value, ';')) {
        directive = trim_ows(directive);
        if (directive.size() > 8 && iequals(directive.substr(0, 8), "max-age=")) {
            std::string_view seconds = directive.substr(8);
            if (seconds.size() >= 2 && seconds.front() == '"' && seconds.back() == '"') {
                seconds = seconds.substr(1, seconds.size() - 2);  // quoted-string is allowed
            }
            return parse_decimal(seconds);
        }
    }
    return std::nullopt;
}

// Whether the server's log grows past `before` bytes within 2 s: a failed
// handshake is logged, but maybe only just after our side saw the close.
bool log_grows(const TestServer& server, std::size_t before) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (server.log().size() <= before) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// A port that was free a moment ago: the kernel picks it for a socket we
// then close. (The server cannot be given --redirect-port 0: its listening
// line names only the TLS port, so a test could not learn the other.)
std::uint16_t free_port() {
    const Fd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket.valid()) throw_errno("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0 ||
        ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &size) < 0) {
        throw_errno("bind 127.0.0.1:0");
    }
    return ntohs(address.sin_port);
}

// A plain connection to `port`, retried for up to 2 s: the server may open
// its redirect listener just after printing its listening line.
Connection connect_when_listening(std::uint16_t port) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            return Connection(port);
        } catch (const std::system_error&) {
            std::this_thread::sleep_for(20ms);
        }
    }
    return Connection(port);  // one last time, failing with the reason
}

// Writes a new P-256 private key to `path`: a key that matches no
// certificate, made here rather than committed (nobody should find a
// private key in the repository and wonder what it unlocks).
void write_new_key(const std::string& path) {
    struct KeyFree {
        void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
    };
    struct FileClose {
        void operator()(std::FILE* file) const { std::fclose(file); }
    };
    const std::unique_ptr<EVP_PKEY, KeyFree> key(EVP_EC_gen("P-256"));
    REQUIRE(key != nullptr);
    const std::unique_ptr<std::FILE, FileClose> file(std::fopen(path.c_str(), "w"));
    REQUIRE(file != nullptr);
    REQUIRE(PEM_write_PrivateKey(file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
}

void write_file(const std::string& path, std::string_view text) {
    const Fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    REQUIRE(out.valid());
    REQUIRE(::write(out.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// From stage 8, --plain serves HTTP without TLS. The tests of this file
// check TLS itself: under --plain they have nothing to test, and say so.
bool without_tls() {
    if (!test_target().has_server_arg("--plain")) return false;
    MESSAGE("skipped: the server runs with --plain, without TLS");
    return true;
}

}  // namespace

// ---------------------------------------------------------------------------
// The handshake.

STAGE_TEST(7, "the first line is 'listening on https://127.0.0.1:PORT'") {
    if (without_tls()) return;
    TestServer server;
    CHECK(server.listening_line() == "listening on https://127.0.0.1:" + std::to_string(server.port()));
}

STAGE_TEST(7, "TLS 1.3 and TLS 1.2 handshakes succeed, and each serves a request") {
    if (without_tls()) return;
    TestServer server;
    for (const auto& [version, name] : {std::pair{TlsVersion::tls1_3, "TLSv1.3"},
                                        std::pair{TlsVersion::tls1_2, "TLSv1.2"}}) {
        INFO("a client that offers only " << name);
        Connection client = server.connect_tls(only_version(version));
        REQUIRE_MESSAGE(client.finish_handshake(), client.tls_error());
        CHECK(client.tls_version() == name);
        client.send(get_localhost("/hello/tls"));
        const Response response = client.read_response();
        INFO(client.received());
        CHECK(response.status == 200);
        CHECK(response.body == "Hello, tls!\n");
    }
}

STAGE_TEST(7, "TLS 1.1 and 1.0 are refused, and the server goes on serving") {
    if (without_tls()) return;
    TestServer server;
    for (const auto& [version, name] : {std::pair{TlsVersion::tls1_1, "TLS 1.1"},
                                        std::pair{TlsVersion::tls1_0, "TLS 1.0"}}) {
        INFO("a client that offers only " << name);
        Connection old = server.connect_tls(only_version(version));
        CHECK_FALSE(old.finish_handshake());
        // Refused (an alert, or a close), not left waiting until we gave up.
        CHECK_FALSE(old.tls_error().empty());
    }
    CHECK(fetch(server, "/hello/modern").status == 200);
}

STAGE_TEST(7, "TLS 1.2 uses only forward-secret AEAD cipher suites") {
    if (without_tls()) return;
    TestServer server;
    Connection modern = server.connect_tls(only_version(TlsVersion::tls1_2));
    REQUIRE_MESSAGE(modern.finish_handshake(), modern.tls_error());
    INFO("negotiated " << modern.cipher());
    CHECK(modern.cipher().starts_with("ECDHE-"));
    CHECK((modern.cipher().find("-GCM-") != std::string::npos ||
           modern.cipher().find("CHACHA20-POLY1305") != std::string::npos));

    // CBC suites with HMAC (SHA-1 or SHA-2) are what Mozilla's "intermediate"
    // configuration dropped: a client that offers nothing else is refused.
    TlsOptions legacy = only_version(TlsVersion::tls1_2);
    legacy.tls12_ciphers =
        "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA256:"
        "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:"
        "ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:AES128-SHA:AES256-SHA";
    Connection old = server.connect_tls(legacy);
    CHECK_FALSE(old.finish_handshake());
    CHECK_FALSE(old.tls_error().empty());
}

STAGE_TEST(7, "ALPN selects http/1.1; a client that offers no ALPN is served too") {
    if (without_tls()) return;
    TestServer server;
    Connection client = server.connect();
    REQUIRE_MESSAGE(client.finish_handshake(), client.tls_error());
    CHECK(client.alpn() == "http/1.1");

    TlsOptions no_alpn;
    no_alpn.alpn = "";
    Connection plain_tls = server.connect_tls(no_alpn);
    REQUIRE_MESSAGE(plain_tls.finish_handshake(), plain_tls.tls_error());
    CHECK(plain_tls.alpn().empty());
    plain_tls.send(get_localhost("/hello/alpn"));
    CHECK(plain_tls.read_response().status == 200);
}

STAGE_TEST(7, "the certificate verifies against build/certs/cert.pem for 127.0.0.1 and localhost") {
    if (without_tls()) return;
    TestServer server;
    Connection by_ip = server.connect();  // SNI localhost, certificate checked for 127.0.0.1
    CHECK_MESSAGE(by_ip.finish_handshake(), by_ip.tls_error());

    TlsOptions by_name;
    by_name.expected_name = "localhost";
    Connection named = server.connect_tls(by_name);
    CHECK_MESSAGE(named.finish_handshake(), named.tls_error());

    TlsOptions no_sni;
    no_sni.server_name = "";
    Connection anonymous = server.connect_tls(no_sni);
    CHECK_MESSAGE(anonymous.finish_handshake(), anonymous.tls_error());
}

STAGE_TEST(7, "a client that rejects the certificate is logged, and the server goes on serving") {
    if (without_tls()) return;
    TestServer server;
    // The certificate names localhost and 127.0.0.1, not example.com: the
    // client aborts the handshake with an alert, as a browser would.
    TlsOptions elsewhere;
    elsewhere.expected_name = "example.com";
    const std::size_t log_before = server.log().size();
    Connection client = server.connect_tls(elsewhere);
    CHECK_FALSE(client.finish_handshake());
    INFO(client.tls_error());
    CHECK(client.tls_error().find("certificate verify failed") != std::string::npos);
    CHECK(log_grows(server, log_before));
    CHECK(fetch(server, "/hello/trusting").status == 200);
}

// ---------------------------------------------------------------------------
// HTTP over TLS.

STAGE_TEST(7, "an idle connection is closed with close_notify, so the client can tell it from a cut") {
    if (without_tls()) return;
    TestServer server({"--idle-timeout", "1"});
    Connection client = server.connect();
    client.send(get("/hello/idle"));
    REQUIRE(client.read_response().status == 200);
    CHECK(client.closed_by_server(3s));
    CHECK(client.close_notify_received());
}

STAGE_TEST(7, "every response carries Strict-Transport-Security with a max-age of a year") {
    if (without_tls()) return;
    TestServer server;
    const std::vector<std::pair<std::string, int>> requests = {
        {get_localhost("/"), 200},
        {get_localhost("/no/such/page"), 404},
        {"POST /hello/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n", 405},
        {"OPTIONS /hello/x HTTP/1.1\r\nHost: localhost\r\n\r\n", 204},
        {get_localhost("/status/301"), 301},
        {get_localhost("/error"), 500},
        {"GET / HTTP/1.1\r\n\r\n", 400},  // no Host
    };
    for (const auto& [request, status] : requests) {
        Exchange ex = server.exchange(request);
        INFO(ex);
        CHECK(ex.response().status == status);
        const std::string hsts = ex.response().header("Strict-Transport-Security");
        const auto max_age = hsts_max_age(hsts);
        REQUIRE_MESSAGE(max_age.has_value(), "Strict-Transport-Security: '" << hsts << "'");
        CHECK(*max_age >= kOneYear);
    }
}

STAGE_TEST(7, "the session cookie is Secure, and the session works over TLS") {
    if (without_tls()) return;
    TestServer server;
    const std::string form = "username=alice&password=wonderland";
    Connection client = server.connect();
    client.send("POST /login HTTP/1.1\r\nHost: localhost\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                std::to_string(form.size()) + "\r\n\r\n" + form);
    const Response login = client.read_response();
    INFO(client.received());
    REQUIRE(login.status == 200);
    const std::string cookie = login.header("Set-Cookie");
    REQUIRE(cookie.starts_with("session_id="));
    bool secure = false, http_only = false;
    for (std::string_view attribute : split(cookie, ';')) {
        attribute = trim_ows(attribute);
        secure = secure || iequals(attribute, "Secure");
        http_only = http_only || iequals(attribute, "HttpOnly");
    }
    CHECK(secure);
    CHECK(http_only);  // what stage 5 set is still there

    const std::string pair = cookie.substr(0, cookie.find(';'));  // session_id=...
    client.send("GET /protected HTTP/1.1\r\nHost: localhost\r\nCookie: " + pair + "\r\n\r\n");
    const Response protected_page = client.read_response();
    CHECK(protected_page.status == 200);
    CHECK(protected_page.body.find("alice") != std::string::npos);
}

STAGE_TEST(7, "--redirect-port answers plain HTTP with 308 to the same target on https") {
    if (without_tls()) return;
    const std::uint16_t plain_port = free_port();
    TestServer server({"--redirect-port", std::to_string(plain_port)});
    const std::string https_origin = "https://127.0.0.1:" + std::to_string(server.port());
    const std::string host = "Host: 127.0.0.1:" + std::to_string(plain_port) + "\r\n";
    {
        Connection client = connect_when_listening(plain_port);
        client.send("GET /hello/x?a=1&b=two%20words HTTP/1.1\r\n" + host + "\r\n");
        const Response moved = client.read_response();
        INFO(client.received());
        CHECK(moved.status == 308);
        CHECK(moved.reason == "Permanent Redirect");
        CHECK(moved.header("Location") == https_origin + "/hello/x?a=1&b=two%20words");
        // RFC 6797 section 7.2: never over plain HTTP, where an attacker
        // could forge or strip it anyway.
        CHECK_FALSE(moved.has_header("Strict-Transport-Security"));
    }
    {
        // 308, not 301: a POST stays a POST (RFC 9110 section 15.4.9).
        Connection client = connect_when_listening(plain_port);
        client.send("POST /login HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n");
        const Response moved = client.read_response();
        INFO(client.received());
        CHECK(moved.status == 308);
        CHECK(moved.header("Location") == https_origin + "/login");
    }
    CHECK(fetch(server, "/hello/secure").status == 200);
}

STAGE_TEST(7, "the redirect names the server's own host and port, whatever Host the client sends") {
    if (without_tls()) return;
    const std::uint16_t plain_port = free_port();
    TestServer server({"--redirect-port", std::to_string(plain_port)});
    Connection client = connect_when_listening(plain_port);
    client.send("GET /login?next=%2F HTTP/1.1\r\nHost: attacker.example\r\n\r\n");
    const Response moved = client.read_response();
    INFO(client.received());
    CHECK(moved.status == 308);
    CHECK(moved.header("Location") == "https://127.0.0.1:" + std::to_string(server.port()) + "/login?next=%2F");
}

namespace {

// A TLS 1.2 handshake with OpenSSL's own client, on a plain socket;
// `resume` offers a session from an earlier connection.
struct SslCtxFree {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct SessionFree {
    void operator()(SSL_SESSION* session) const { SSL_SESSION_free(session); }
};
using Session = std::unique_ptr<SSL_SESSION, SessionFree>;

struct Tls12Handshake {
    bool done = false;
    bool resumed = false;
    bool got_ticket = false;
    Session session;
};

Tls12Handshake tls12_handshake(std::uint16_t port, SSL_SESSION* resume) {
    const std::unique_ptr<SSL_CTX, SslCtxFree> context(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_max_proto_version(context.get(), TLS1_2_VERSION);
    Connection tcp(port);  // plain TCP; OpenSSL speaks on its socket
    const timeval limit{5, 0};
    ::setsockopt(tcp.fd(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    const std::unique_ptr<SSL, SslFree> ssl(SSL_new(context.get()));
    SSL_set_fd(ssl.get(), tcp.fd());
    SSL_set_tlsext_host_name(ssl.get(), "localhost");
    if (resume != nullptr) SSL_set_session(ssl.get(), resume);
    Tls12Handshake result;
    result.done = SSL_connect(ssl.get()) == 1;
    if (result.done) {
        // TLS 1.2 delivers a ticket inside the handshake, before Finished.
        result.resumed = SSL_session_reused(ssl.get()) == 1;
        result.got_ticket = SSL_SESSION_has_ticket(SSL_get_session(ssl.get())) == 1;
        result.session.reset(SSL_get1_session(ssl.get()));
        SSL_shutdown(ssl.get());
    }
    return result;
}

}  // namespace

STAGE_TEST(7, "TLS 1.2 gets no session ticket (its key would never change), and still resumes") {
    if (without_tls()) return;
    TestServer server;
    const Tls12Handshake first = tls12_handshake(server.port(), nullptr);
    REQUIRE(first.done);
    CHECK_FALSE(first.got_ticket);
    // Resumption by session id, from the server's session cache.
    const Tls12Handshake second = tls12_handshake(server.port(), first.session.get());
    REQUIRE(second.done);
    CHECK(second.resumed);
}

// ---------------------------------------------------------------------------
// Clients that get TLS wrong.

STAGE_TEST(7, "plain HTTP sent to the TLS port is not answered as HTTP, and is logged") {
    if (without_tls()) return;
    TestServer server;
    const std::size_t log_before = server.log().size();
    Connection plain = server.connect_plain();
    plain.send(get_localhost("/hello/plain"));
    // The server closes: with a TLS alert, or a plain-text 400 explaining
    // the mistake; never by serving the request.
    CHECK(plain.closed_by_server(kServedWithin));
    INFO("received: " << show_bytes(plain.received()));
    CHECK_FALSE(plain.received().starts_with("HTTP/1.1 200"));
    CHECK(plain.received().find("Hello, plain!") == std::string::npos);
    // HSTS is never sent in the clear (RFC 6797 section 7.2).
    CHECK(plain.received().find("Strict-Transport-Security") == std::string::npos);
    CHECK(log_grows(server, log_before));
    CHECK(fetch(server, "/hello/after").status == 200);
}

STAGE_TEST(7, "clients that stall their handshake do not stall the server") {
    if (without_tls()) return;
    TestServer server;
    const std::string hello = tls_client_hello();
    // More stalled clients than stage 6 has workers: four that never say a
    // word, and four that stop halfway through their ClientHello.
    std::vector<Connection> stalled;
    for (int i = 0; i < 4; ++i) stalled.push_back(server.connect_plain());
    for (int i = 0; i < 4; ++i) {
        stalled.push_back(server.connect_plain());
        stalled.back().send(hello.substr(0, hello.size() / 2));
    }
    std::this_thread::sleep_for(100ms);  // let the server take them all in
    const auto start = std::chrono::steady_clock::now();
    const Response response = fetch(server, "/hello/patient", kServedWithin);
    INFO(response.error);
    CHECK(response.status == 200);
    CHECK(std::chrono::steady_clock::now() - start < kServedWithin);
}

STAGE_TEST(7, "clients that vanish mid-handshake do not stop the server") {
    if (without_tls()) return;
    TestServer server;
    const std::string hello = tls_client_hello();
    for (int i = 0; i < 8; ++i) {
        Connection rude = server.connect_plain();
        rude.send(hello.substr(0, hello.size() * static_cast<std::size_t>(i + 1) / 9));
        std::this_thread::sleep_for(10ms);  // let the server read it
        if (i % 2 == 0) {
            // A reset instead of a FIN: SO_LINGER with a zero timeout.
            const linger abort_on_close{1, 0};
            ::setsockopt(rude.fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
        }
        rude.close();
    }
    // And one that finishes the handshake, then leaves without a word.
    {
        Connection rude = server.connect();
        CHECK(rude.finish_handshake());
        const linger abort_on_close{1, 0};
        ::setsockopt(rude.fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    }
    const Response response = fetch(server, "/hello/survivor", kServedWithin);
    INFO(response.error);
    CHECK(response.status == 200);
}

// ---------------------------------------------------------------------------
// Certificate files.

STAGE_TEST(7, "a missing --cert or --key file is a one-line error naming it, exit status 2") {
    if (without_tls()) return;
    const std::string missing = "build/no-such-folder/missing.pem";
    for (const char* flag : {"--cert", "--key"}) {
        INFO(flag << " " << missing);
        const CommandResult result = run_server({"--port", "0", flag, missing});
        INFO("output: " << result.output);
        CHECK(result.exit_status == 2);
        CHECK(first_line(result.output).find(missing) != std::string::npos);
    }
}

STAGE_TEST(7, "a --cert file that is not a certificate is an error naming it, exit status 2") {
    if (without_tls()) return;
    const TempFolder dir("tls");
    const std::string garbage = dir.file("garbage.pem");
    write_file(garbage, "this is not a certificate\n");
    const CommandResult result = run_server({"--port", "0", "--cert", garbage});
    INFO("output: " << result.output);
    CHECK(result.exit_status == 2);
    CHECK(first_line(result.output).find(garbage) != std::string::npos);
}

STAGE_TEST(7, "a key that does not match the certificate is an error naming it, exit status 2") {
    if (without_tls()) return;
    const TempFolder dir("tls");
    const std::string other_key = dir.file("other-key.pem");
    write_new_key(other_key);
    const CommandResult result = run_server({"--port", "0", "--key", other_key});
    INFO("output: " << result.output);
    CHECK(result.exit_status == 2);
    CHECK(first_line(result.output).find(other_key) != std::string::npos);
}
