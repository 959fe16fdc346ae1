// Stage 8: an event loop. Until now a connection that waited held a
// thread; now one thread serves them all: an epoll loop waits for every
// socket at once and does, for each, what can be done without waiting. The
// pool stays, for the handlers that block.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <string>

#include "auth.hpp"
#include "connection.hpp"
#include "describe_request.hpp"
#include "errors.hpp"
#include "flags.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "server.hpp"
#include "static_files.hpp"
#include "stop_signal.hpp"
#include "stream.hpp"
#include "thread_pool.hpp"
#include "tls.hpp"

// --root's default: the Makefile passes the public/ folder beside this file.
#ifndef PUBLIC_DIR
#define PUBLIC_DIR "public"
#endif

namespace {

// What the command line can change (docs/course.md section 4).
struct Config {
    std::string host = "127.0.0.1";
    long port = 4443;
    long request_timeout = 10;  // seconds
    std::string root = PUBLIC_DIR;
    std::string users_file;
    long session_ttl = 30 * 60;  // seconds
    // Five workers, as docs/course.md asks: enough for a few slow requests
    // at once on a small machine; 64 requests may wait for a worker (a burst).
    long threads = 5;
    long queue = 64;
    long idle_timeout = 5;  // seconds
    std::string cert = "build/certs/cert.pem";
    std::string key = "build/certs/key.pem";
    long redirect_port = -1;  // none
    // Ten thousand: the C10K problem, a descriptor and a few KiB each.
    long max_connections = 10'000;
    bool plain = false;  // HTTP without TLS
};

Config parse_flags(int argc, char** argv) {
    Config config;
    Flags flags("server", "Stage 8: one event loop serves every connection; a pool, what blocks.");
    flags.add("--host", "ADDR", "address to listen on", config.host);
    flags.add("--port", "PORT", "port to listen on, 0 picks a free one", config.port, 0, 65535);
    flags.add("--request-timeout", "SECONDS", "time a request may take to arrive, then 408",
              config.request_timeout, 1, 3600);
    flags.add("--root", "DIR", "the folder of GET / and GET /static/...", config.root);
    flags.add("--users", "FILE", "users, one 'name:role:hash' per line; registrations are added",
              config.users_file);
    flags.add("--session-ttl", "SECONDS", "a session ends after this long unused",
              config.session_ttl, 1, 30L * 24 * 3600);
    flags.add("--threads", "N", "worker threads", config.threads, 1, 256);
    flags.add("--queue", "N", "requests that may wait for a worker; more get 503", config.queue,
              1, 100000);
    flags.add("--idle-timeout", "SECONDS", "a quiet keep-alive connection is closed after this",
              config.idle_timeout, 1, 3600);
    flags.add("--cert", "FILE", "the certificate (chain) in PEM", config.cert);
    flags.add("--key", "FILE", "its private key in PEM", config.key);
    flags.add("--redirect-port", "PORT", "also answer plain HTTP here with 308 to https",
              config.redirect_port, 0, 65535);
    flags.add("--max-connections", "N", "open connections at most; more wait to be accepted",
              config.max_connections, 1, 1'000'000);
    flags.add("--plain", "plain HTTP, no TLS (behind a TLS proxy, or to measure)", config.plain);
    flags.parse(argc, argv);
    return config;
}

// ANCHOR: blocks
// The handlers that would stall the loop run on the pool: PBKDF2 costs a
// good part of a second of CPU per login or sign-up (stage 5), and /delay
// sleeps. Where a handler runs is the server's choice (nginx: per location).
bool blocks(const HttpRequest& request) {
    const bool hashes = request.path == "/login" || request.path == "/register";
    return (request.method == "POST" && hashes) || request.path.starts_with("/delay/");
}
// ANCHOR_END: blocks

// HSTS (RFC 6797): "for a year, reach this host over HTTPS only", so that
// a browser never again tries plain http://, where an attacker could answer.
constexpr std::string_view kHsts = "max-age=31536000";

// ANCHOR: redirect_to_https
// --redirect-port's answer: 308 to the same URL over HTTPS (a POST stays a
// POST, RFC 9110 section 15.4.9) on our own --host, IPv6 in brackets (RFC 3986
// section 3.2.2): a Host header's name would send visitors wherever a client says.
HttpResponse redirect_to_https(const HttpRequest& request, const std::string& host, std::uint16_t https_port) {
    std::string location = "https://" + (host.find(':') == std::string::npos ? host : "[" + host + "]");
    if (https_port != 443) location += ":" + std::to_string(https_port);
    location += request.path;
    if (!request.query.empty()) location += "?" + request.query;
    HttpResponse response = HttpResponse::text(308, "This site is served over HTTPS: " + location + "\n");
    response.headers.add("Location", location);
    return response;
}
// ANCHOR_END: redirect_to_https

// A descriptor per connection, and a few for the listeners, epoll and logs.
constexpr rlim_t kSpareDescriptors = 64;

// ANCHOR: routes
Router make_router(int files, AuthState& auth) {
    Router router;
    add_auth_routes(router, auth);
    // The direct way, as in cpp-httplib's server.Get(...): one call per route.
    router.any("/echo", describe_request);
    // A file tree is a route with a wildcard.
    router.get("/", [files](const HttpRequest& r) { return serve_file(files, "index.html", r); });
    router.get("/static/{path...}", [files](const HttpRequest& r) { return serve_static(files, r); });
    // The collected way, like Python's @add_route decorator: every
    // add_route(...) declared in routes.cpp registers itself.
    register_routes(router);
    return router;
}
// ANCHOR_END: routes

void run_server(const Config& config) {
    const Fd root = open_root(config.root);
    if (!root.valid()) throw ConfigError("--root " + config.root + ": " + std::strerror(errno));
    ConnectionOptions options;
    options.request_timeout = std::chrono::seconds(config.request_timeout);
    options.idle_timeout = std::chrono::seconds(config.idle_timeout);
    options.blocks = blocks;

    // ANCHOR: tls_context
    // One TLS context for the whole server, made before listening: a
    // missing file or a key that does not match is a one-line error now,
    // not a failed handshake for every client later. --plain: none.
    TlsContext tls;
    options.open_stream = plain_stream;
    if (!config.plain) {
        tls = make_tls_context(config.cert, config.key);
        options.open_stream = std::bind_front(tls_stream, tls.get());
        options.response_headers.add("Strict-Transport-Security", std::string(kHsts));
    }
    // ANCHOR_END: tls_context

    AuthState auth{UserStore(), SessionStore(std::chrono::seconds(config.session_ttl))};
    auth.scheme = config.plain ? "http" : "https";
    try {
        const std::string warning = config.users_file.empty()
                                        ? "no --users FILE: new accounts live in memory only"
                                        : auth.users.open_file(config.users_file);
        if (!warning.empty()) log_line("warning: " + warning);
    } catch (const std::exception& error) {
        throw ConfigError("--users: " + std::string(error.what()));
    }
    const Router router = make_router(root.get(), auth);
    const Handler handler = [&router](HttpRequest& request) { return router.handle(request); };

    raise_descriptor_limit(static_cast<rlim_t>(config.max_connections) + kSpareDescriptors);
    StopSignal stop;  // SIGINT (Ctrl-C) and SIGTERM end the loop below
    const Fd listener = listen_tcp(config.host, static_cast<std::uint16_t>(config.port));
    const std::uint16_t https_port = bound_port(listener.get());
    std::printf("listening on %s://%s:%u\n", auth.scheme.c_str(), config.host.c_str(), https_port);
    std::fflush(stdout);  // scripts wait for this line: do not leave it in a buffer

    ThreadPool workers(static_cast<std::size_t>(config.threads), static_cast<std::size_t>(config.queue));
    workers.start();

    // --redirect-port: a plain-HTTP listener whose only answer is 308 to the
    // same URL over HTTPS. No HSTS: over plain HTTP a browser ignores it
    // (RFC 6797 section 8.1).
    ConnectionOptions plain_options = options;
    plain_options.open_stream = plain_stream;
    plain_options.response_headers = {};
    plain_options.blocks = [](const HttpRequest&) { return false; };
    const Handler redirect = [&](HttpRequest& request) {
        return redirect_to_https(request, config.host, https_port);
    };
    Fd redirect_listener;
    if (config.redirect_port >= 0) {
        redirect_listener = listen_tcp(config.host, static_cast<std::uint16_t>(config.redirect_port));
        log_line("redirecting http://" + config.host + ":" + std::to_string(bound_port(redirect_listener.get())) +
                 " to https://" + config.host + ":" + std::to_string(https_port));
    }

    Server server(workers, stop, options, static_cast<std::size_t>(config.max_connections));
    server.listen(listener.get(), handler, options);
    if (redirect_listener.valid()) server.listen(redirect_listener.get(), redirect, plain_options);
    server.run();  // until SIGINT/SIGTERM, and then until the requests in flight are answered
    log_line("stopped");
}

}  // namespace

int main(int argc, char** argv) {
    const Config config = parse_flags(argc, argv);
    try {
        run_server(config);
        return 0;
    } catch (const ConfigError& error) {
        std::fprintf(stderr, "server: %s\n", error.what());
        return 2;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "server: %s\n", error.what());
        return 1;
    }
}
