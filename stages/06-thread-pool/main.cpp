// Stage 6: a pool of worker threads.
//
// Until now one slow client (a big upload, a slow login, an idle
// keep-alive connection) made everyone else wait. Now the main thread only
// accepts connections and queues them; a fixed pool of workers serves them.
// A full queue is answered at once with 503, connections take turns when
// there are more than workers, and SIGTERM lets the requests in flight finish.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <utility>

#include "auth.hpp"
#include "connection.hpp"
#include "describe_request.hpp"
#include "flags.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "pages.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "socket_io.hpp"
#include "static_files.hpp"
#include "stop_signal.hpp"
#include "thread_pool.hpp"

// --root's default: the Makefile passes the public/ folder beside this file.
#ifndef PUBLIC_DIR
#define PUBLIC_DIR "public"
#endif

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    long port = 8080;
    long request_timeout = 10;
    std::string root_path = PUBLIC_DIR;
    std::string users_file;
    long session_ttl = 30 * 60;
    std::string hash_for;
    long threads = 5;
    long queue_capacity = 64;
    long idle_timeout = 5;
    Flags flags("server", "Stage 6: five workers serve the clients; a full queue gets 503.");
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
        std::printf("listening on http://%s:%u\n", host.c_str(), bound_port(listener.get()));
        std::fflush(stdout);  // scripts wait for this line: do not leave it in a buffer

        // ANCHOR: pools
        ThreadPool workers(static_cast<std::size_t>(threads), static_cast<std::size_t>(queue_capacity));
        options.others_waiting = [&workers] { return workers.waiting() > 0; };
        workers.start([&](ClientConnection& client) { return serve_connection(client, handler, stop, options); });
        // ANCHOR_END: pools

        // ANCHOR: accept_loop
        // The main thread only accepts and queues; the workers serve. A full
        // queue gets 503 from here, in microseconds. Refusals are logged as a
        // count, a line a second at most: a line each costs more than they do.
        std::size_t refused = 0;
        auto counted_since = std::chrono::steady_clock::now();
        while (wait_readable(listener.get(), -1, stop) == WaitResult::Ready) {
            ClientConnection client;
            client.socket = accept_client(listener.get(), client.peer);
            if (!client.socket.valid()) continue;
            // A client has as long to take each response as to send a request.
            set_send_timeout(client.socket.get(), options.request_timeout);
            if (workers.try_submit(client)) continue;
            refuse_connection(client);
            workers.park(client);
            if (++refused; std::chrono::steady_clock::now() - counted_since >= std::chrono::seconds(1)) {
                log_line(std::to_string(std::exchange(refused, 0)) + " connections refused with 503: queue full");
                counted_since = std::chrono::steady_clock::now();
            }
        }
        // ANCHOR_END: accept_loop

        // SIGINT/SIGTERM: no more connections; the workers finish what they
        // are doing (a request in flight gets its response) and exit.
        log_line("stopping: finishing the requests in flight");
        workers.shutdown();
        if (refused > 0) log_line(std::to_string(refused) + " connections refused with 503: queue full");
        log_line("stopped");
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "server: %s\n", error.what());
        return 1;
    }
}
