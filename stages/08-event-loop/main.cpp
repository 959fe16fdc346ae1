// Stage 8: an event loop.
//
// Until now a connection that waited held a thread: five workers could
// wait for five clients, and a thousand clients would need a thousand
// threads. Now one thread serves them all: an epoll loop waits for every
// socket at once and does, for each, what can be done without waiting.
// The pool stays, for the handlers that block.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "auth.hpp"
#include "connection.hpp"
#include "describe_request.hpp"
#include "flags.hpp"
#include "https_redirect.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "pages.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "server.hpp"
#include "static_files.hpp"
#include "stop_signal.hpp"
#include "thread_pool.hpp"
#include "tls.hpp"

// --root's default: the Makefile passes the public/ folder beside this file.
#ifndef PUBLIC_DIR
#define PUBLIC_DIR "public"
#endif

namespace {

// ANCHOR: blocks
// The handlers that would stall the loop: PBKDF2 costs a good part of a
// second of CPU per login or sign-up (stage 5), and /delay sleeps. They run
// on the pool. Handlers and router do not change: where a handler runs is
// the server's choice, made beside the routes (as nginx's thread pools are
// given per location).
bool blocks(const HttpRequest& request) {
    const bool hashes = request.path == "/login" || request.path == "/register";
    return (request.method == "POST" && hashes) || request.path.starts_with("/delay/");
}
// ANCHOR_END: blocks

}  // namespace

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    long port = 4443;
    long request_timeout = 10;
    std::string root_path = PUBLIC_DIR;
    std::string users_file;
    long session_ttl = 30 * 60;
    std::string hash_for;
    long threads = 5;
    long queue_capacity = 64;
    long idle_timeout = 5;
    long max_connections = 10'000;
    bool plain = false;
    std::string cert_file = "build/certs/cert.pem";
    std::string key_file = "build/certs/key.pem";
    long redirect_port = -1;
    Flags flags("server", "Stage 8: one event loop serves every connection; a pool, what blocks.");
    flags.add("--host", "ADDR", "address to listen on", host);
    flags.add("--port", "PORT", "port to listen on, 0 picks a free one", port, 0, 65535);
    flags.add("--request-timeout", "SECONDS", "time a request may take to arrive, then 408",
              request_timeout, 1, 3600);
    flags.add("--root", "DIR", "the folder of GET / and GET /static/...", root_path);
    flags.add("--users", "FILE", "users, one 'name:role:hash' per line; registrations are added",
              users_file);
    flags.add("--session-ttl", "SECONDS", "a session ends after this long unused", session_ttl, 1,
              30L * 24 * 3600);
    flags.add("--hash-password", "NAME", "read a password on stdin, print a users-file line, exit",
              hash_for);
    flags.add("--threads", "N", "worker threads", threads, 1, 256);
    flags.add("--queue", "N", "requests that may wait for a worker; more get 503", queue_capacity,
              1, 100000);
    flags.add("--idle-timeout", "SECONDS", "a quiet keep-alive connection is closed after this",
              idle_timeout, 1, 3600);
    flags.add("--cert", "FILE", "the certificate (chain) in PEM", cert_file);
    flags.add("--key", "FILE", "its private key in PEM", key_file);
    flags.add("--redirect-port", "PORT", "also answer plain HTTP here with 308 to https",
              redirect_port, 0, 65535);
    flags.add("--max-connections", "N", "open connections at most; more wait to be accepted",
              max_connections, 1, 1'000'000);
    flags.add("--plain", "plain HTTP, no TLS (behind a TLS proxy, or to measure)", plain);
    flags.parse(argc, argv);

    if (!hash_for.empty()) {
        std::string password;
        std::getline(std::cin, password);
        if (!valid_username(hash_for) || !valid_password(password)) {
            std::fprintf(stderr, "server: %s\n", account_rules().c_str());
            return 2;
        }
        std::printf("%s\n", users_file_line(hash_for, kRoleUser, hash_password(password)).c_str());
        return 0;
    }
    const Fd root = open_root(root_path);
    if (!root.valid()) {
        std::fprintf(stderr, "server: --root %s: %s\n", root_path.c_str(), std::strerror(errno));
        return 2;
    }
    try {
        load_pages(root_path);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "server: --root %s: %s\n", root_path.c_str(), error.what());
        return 2;
    }
    ConnectionOptions options;
    options.request_timeout = std::chrono::seconds(request_timeout);
    options.idle_timeout = std::chrono::seconds(idle_timeout);
    options.blocks = blocks;

    // ANCHOR: tls_context
    // One TLS context for the whole server, made before listening: a
    // missing file or a key that does not match is a one-line error now,
    // not a failed handshake for every client later.
    TlsContext tls;
    try {
        if (!plain) tls = make_tls_context(cert_file, key_file);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "server: %s\n", error.what());
        return 2;
    }
    options.tls_context = tls.get();
    // ANCHOR_END: tls_context

    // ANCHOR: routes
    AuthState auth{UserStore(), SessionStore(std::chrono::seconds(session_ttl))};
    try {
        const std::string warning = users_file.empty()
                                        ? "no --users FILE: new accounts live in memory only"
                                        : auth.users.open_file(users_file);
        if (!warning.empty()) log_line("warning: " + warning);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "server: --users: %s\n", error.what());
        return 2;
    }
    Router router;
    add_auth_routes(router, auth, plain ? "http" : "https");
    // The direct way, as in cpp-httplib's server.Get(...): one call per route.
    router.any("/echo", describe_request);
    // A file tree is a route with a wildcard.
    const int files = root.get();
    router.get("/static/{path...}", [files](const HttpRequest& r) { return serve_static(files, r); });
    // The collected way, like Python's @add_route decorator: every
    // add_route(...) declared in routes.cpp registers itself.
    register_routes(router);
    const Handler handler = [&router](HttpRequest& request) { return router.handle(request); };
    // ANCHOR_END: routes

    // A descriptor per connection, and a few for the listeners, epoll and logs.
    raise_descriptor_limit(static_cast<rlim_t>(max_connections) + 64);
    try {
        StopSignal stop;  // SIGINT (Ctrl-C) and SIGTERM end the loop below
        const Fd listener = listen_tcp(host, static_cast<std::uint16_t>(port));
        const std::uint16_t https_port = bound_port(listener.get());
        std::printf("listening on %s://%s:%u\n", plain ? "http" : "https", host.c_str(), https_port);
        std::fflush(stdout);  // scripts wait for this line: do not leave it in a buffer

        // ANCHOR: server
        ThreadPool workers(static_cast<std::size_t>(threads), static_cast<std::size_t>(queue_capacity));
        workers.start();
        Server server(workers, stop, options, static_cast<std::size_t>(max_connections));
        server.listen(listener.get(), handler, options);
        // ANCHOR_END: server

        // ANCHOR: redirect
        // --redirect-port: a plain-HTTP listener on the same loop, whose
        // only answer is 308 to the same URL over HTTPS.
        ConnectionOptions plain_options = options;
        plain_options.tls_context = nullptr;
        const Handler redirect = [&](HttpRequest& request) {
            return redirect_to_https(request, host, https_port);
        };
        Fd redirect_listener;
        if (redirect_port >= 0) {
            redirect_listener = listen_tcp(host, static_cast<std::uint16_t>(redirect_port));
            log_line("redirecting http://" + host + ":" + std::to_string(bound_port(redirect_listener.get())) +
                     " to https://" + host + ":" + std::to_string(https_port));
            server.listen(redirect_listener.get(), redirect, plain_options);
        }
        // ANCHOR_END: redirect

        server.run();  // until SIGINT/SIGTERM and the requests in flight are answered
        log_line("stopped");
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "server: %s\n", error.what());
        return 1;
    }
}
