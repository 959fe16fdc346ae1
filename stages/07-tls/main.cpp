// Stage 7: HTTPS.
//
// Everything so far travelled in the clear: anyone on the path could read
// passwords and session cookies, or change a page on its way. Now every
// connection starts with a TLS handshake (OpenSSL), and HTTP runs inside
// it unchanged. Responses carry HSTS, session cookies say Secure, and
// --redirect-port sends plain-HTTP visitors to the HTTPS address.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <thread>
#include <utility>

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
#include "socket_io.hpp"
#include "static_files.hpp"
#include "stop_signal.hpp"
#include "thread_pool.hpp"
#include "tls.hpp"

// --root's default: the Makefile passes the public/ folder beside this file.
#ifndef PUBLIC_DIR
#define PUBLIC_DIR "public"
#endif

namespace {

// The redirect listener's waiting room: its clients only learn where to go,
// so a small room will do, and the descriptors stay with the HTTPS pool.
constexpr std::size_t kRedirectRoom = 256;

// ANCHOR: accept_connections
// The main thread only accepts and queues; the workers serve. A full queue
// gets 503 from here, in microseconds (over TLS, once a worker has done the
// handshake). Refusals are logged as a count, a line a second at most: a
// line each costs more than they do.
void accept_connections(int listener, ThreadPool& pool, const ConnectionOptions& options,
                        const StopSignal& stop) {
    std::size_t refused = 0;
    auto counted_since = std::chrono::steady_clock::now();
    while (wait_readable(listener, -1, stop) == WaitResult::Ready) {
        ClientConnection client;
        client.socket = accept_client(listener, client.peer);
        if (!client.socket.valid()) continue;
        // A client has as long to take each response as to send a request.
        set_send_timeout(client.socket.get(), options.request_timeout);
        client.send_timeout = options.request_timeout;  // the same, for TLS's non-blocking writes
        if (pool.try_submit(client)) continue;
        refuse_connection(client, options);
        pool.park(client);
        if (++refused; std::chrono::steady_clock::now() - counted_since >= std::chrono::seconds(1)) {
            log_line(std::to_string(std::exchange(refused, 0)) + " connections refused with 503: queue full");
            counted_since = std::chrono::steady_clock::now();
        }
    }
    if (refused > 0) log_line(std::to_string(refused) + " connections refused with 503: queue full");
}
// ANCHOR_END: accept_connections

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
    std::string cert_file = "build/certs/cert.pem";
    std::string key_file = "build/certs/key.pem";
    long redirect_port = -1;
    Flags flags("server", "Stage 7: HTTPS with OpenSSL, HSTS, Secure cookies, an HTTP redirect.");
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
    flags.add("--queue", "N", "connections that may wait for a worker; more get 503", queue_capacity,
              1, 100000);
    flags.add("--idle-timeout", "SECONDS", "a quiet keep-alive connection is closed after this",
              idle_timeout, 1, 3600);
    flags.add("--cert", "FILE", "the certificate (chain) in PEM", cert_file);
    flags.add("--key", "FILE", "its private key in PEM", key_file);
    flags.add("--redirect-port", "PORT", "also answer plain HTTP here with 308 to https",
              redirect_port, 0, 65535);
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

    // ANCHOR: tls_context
    // One TLS context for the whole server, made before listening: a
    // missing file or a key that does not match is a one-line error now,
    // not a failed handshake for every client later.
    TlsContext tls;
    try {
        tls = make_tls_context(cert_file, key_file);
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
    add_auth_routes(router, auth);
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

    try {
        StopSignal stop;  // SIGINT (Ctrl-C) and SIGTERM end the loop below
        const Fd listener = listen_tcp(host, static_cast<std::uint16_t>(port));
        const std::uint16_t https_port = bound_port(listener.get());
        std::printf("listening on https://%s:%u\n", host.c_str(), https_port);
        std::fflush(stdout);  // scripts wait for this line: do not leave it in a buffer

        // ANCHOR: pools
        ThreadPool workers(static_cast<std::size_t>(threads), static_cast<std::size_t>(queue_capacity));
        options.others_waiting = [&workers] { return workers.waiting() > 0; };
        workers.start([&](ClientConnection& client) { return serve_connection(client, handler, stop, options); });
        // ANCHOR_END: pools

        // ANCHOR: redirect
        // --redirect-port: a plain-HTTP listener with two workers of its
        // own, whose only answer is 308 to the same URL over HTTPS.
        ConnectionOptions plain_options = options;
        plain_options.tls_context = nullptr;
        const Handler redirect = [&](HttpRequest& request) {
            return redirect_to_https(request, host, https_port);
        };
        ThreadPool redirectors(2, 64, kRedirectRoom);
        plain_options.others_waiting = [&redirectors] { return redirectors.waiting() > 0; };
        std::thread redirect_thread;
        Fd redirect_listener;
        if (redirect_port >= 0) {
            redirect_listener = listen_tcp(host, static_cast<std::uint16_t>(redirect_port));
            log_line("redirecting http://" + host + ":" + std::to_string(bound_port(redirect_listener.get())) +
                     " to https://" + host + ":" + std::to_string(https_port));
            redirectors.start([&](ClientConnection& client) {
                return serve_connection(client, redirect, stop, plain_options);
            });
            redirect_thread = std::thread(
                [&] { accept_connections(redirect_listener.get(), redirectors, plain_options, stop); });
        }
        // ANCHOR_END: redirect

        accept_connections(listener.get(), workers, options, stop);

        // SIGINT/SIGTERM: no more connections; the workers finish what they
        // are doing (a request in flight gets its response) and exit.
        log_line("stopping: finishing the requests in flight");
        if (redirect_thread.joinable()) redirect_thread.join();
        workers.shutdown();
        redirectors.shutdown();
        log_line("stopped");
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "server: %s\n", error.what());
        return 1;
    }
}
