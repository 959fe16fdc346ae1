// Stage 5: sessions. Users log in; a session id in a cookie (or a Bearer
// token) tells the server who is asking.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
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
#include "socket_io.hpp"
#include "static_files.hpp"
#include "stop_signal.hpp"
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
};

Config parse_flags(int argc, char** argv) {
    Config config;
    Flags flags("server", "Stage 5: login, logout and pages only signed-in users see.");
    flags.add("--host", "ADDR", "address to listen on", config.host);
    flags.add("--port", "PORT", "port to listen on, 0 picks a free one", config.port, 0, 65535);
    flags.add("--request-timeout", "SECONDS", "time a request may take to arrive, then 408",
              config.request_timeout, 1, 3600);
    flags.add("--root", "DIR", "the folder of GET / and GET /static/...", config.root);
    flags.add("--users", "FILE", "users, one 'name:role:hash' per line; registrations are added",
              config.users_file);
    flags.add("--session-ttl", "SECONDS", "a session ends after this long unused",
              config.session_ttl, 1, 30L * 24 * 3600);
    flags.parse(argc, argv);
    return config;
}

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
    const ConnectionOptions options{std::chrono::seconds(config.request_timeout)};

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

    // ANCHOR: accept_loop
    // One client at a time: the next one waits in the kernel's queue
    // until this one is done. Stage 6 will fix that.
    while (wait_readable(listener.get(), stop) == Waited::Ready) {
        std::string peer;
        const Fd client = accept_client(listener.get(), peer);
        if (!client.valid()) continue;
        // A client has as long to take each response as to send a request.
        set_send_timeout(client.get(), options.request_timeout);
        serve_connection(client.get(), peer, handler, stop, options);
    }  // `client` goes out of scope here: its destructor closes the socket
    // ANCHOR_END: accept_loop
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
