// Stage 6: a pool of worker threads. The main thread accepts and queues;
// five workers serve; a full queue is answered with 503 at once.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "auth.hpp"
#include "connection.hpp"
#include "describe_request.hpp"
#include "errors.hpp"
#include "flags.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "socket_io.hpp"
#include "static_files.hpp"
#include "stop_signal.hpp"
#include "thread_pool.hpp"
#include "waiting_room.hpp"
#include "wait.hpp"

// --root's default: the Makefile passes the public/ folder beside this file.
#ifndef PUBLIC_DIR
#define PUBLIC_DIR "public"
#endif

namespace {

// What the command line can change (docs/course.md section 4).
struct Config {
    std::string host = "127.0.0.1";
    long port = 8080;
    long request_timeout = 10;  // seconds
    std::string root = PUBLIC_DIR;
    std::string users_file;
    long session_ttl = 30 * 60;  // seconds
    // Five workers, as docs/course.md asks: enough for a few slow requests
    // at once on a small machine; 64 new connections may wait for a first turn (a burst).
    long threads = 5;
    long queue = 64;
    long idle_timeout = 5;  // seconds
};

Config parse_flags(int argc, char** argv) {
    Config config;
    Flags flags("server", "Stage 6: five workers serve the clients; a full queue gets 503.");
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
    flags.add("--queue", "N", "connections that may wait for a worker; more get 503", config.queue,
              1, 100000);
    flags.add("--idle-timeout", "SECONDS", "a quiet keep-alive connection is closed after this",
              config.idle_timeout, 1, 3600);
    flags.parse(argc, argv);
    return config;
}

// ANCHOR: accept_loop
// The main thread only accepts and queues; the workers serve. A full queue
// gets 503 from here, in microseconds. Refusals are logged as a count, a
// line a second at most: a line each would cost more than they do.
void accept_connections(int listener, WaitingRoom& room, const ConnectionOptions& options,
                        const StopSignal& stop) {
    constexpr std::chrono::seconds kRefusalLogInterval{1};
    std::size_t refused = 0;
    auto counted_since = std::chrono::steady_clock::now();
    while (wait_readable(listener, stop) == Waited::Ready) {
        ClientConnection client;
        client.socket = accept_client(listener, client.peer);
        if (!client.socket.valid()) continue;
        // A client has as long to take each response as to send a request.
        set_send_timeout(client.socket.get(), options.request_timeout);
        if (room.try_admit(client)) continue;
        refuse_connection(client);
        room.park(client);
        if (++refused; std::chrono::steady_clock::now() - counted_since >= kRefusalLogInterval) {
            log_line(std::to_string(std::exchange(refused, 0)) + " connections refused with 503: queue full");
            counted_since = std::chrono::steady_clock::now();
        }
    }
    if (refused > 0) log_line(std::to_string(refused) + " connections refused with 503: queue full");
}
// ANCHOR_END: accept_loop

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

    AuthState auth{UserStore(), SessionStore(std::chrono::seconds(config.session_ttl))};
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

    StopSignal stop;  // SIGINT (Ctrl-C) and SIGTERM end the loop below
    const Fd listener = listen_tcp(config.host, static_cast<std::uint16_t>(config.port));
    std::printf("listening on http://%s:%u\n", config.host.c_str(), bound_port(listener.get()));
    std::fflush(stdout);  // scripts wait for this line: do not leave it in a buffer

    // ANCHOR: pools
    ThreadPool workers(static_cast<std::size_t>(config.threads), static_cast<std::size_t>(config.queue));
    WaitingRoom room(workers, [&](ClientConnection& client) { return serve_connection(client, handler, stop, options); });
    options.others_waiting = [&workers] { return workers.waiting() > 0; };
    room.start();
    // ANCHOR_END: pools

    // However this function ends, by Ctrl-C or by an exception, the workers
    // then see a stop and finish, and ~WaitingRoom can join them.
    const StopOnExit stop_workers(stop);

    accept_connections(listener.get(), room, options, stop);

    // SIGINT/SIGTERM: no more connections; a request in flight still gets its response.
    log_line("stopping: finishing the requests in flight");
    room.shutdown();  // the workers first, then the room
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
