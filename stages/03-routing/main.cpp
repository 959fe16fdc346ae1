// Stage 3: routing.
//
// Stage 2 answered every request the same way. Now a Router picks the code
// that answers, from the method and the path: GET / is a welcome page,
// GET /hello/{name} greets, /echo still shows what the parser saw,
// GET /static/{path...} serves files from the document root, and anything
// else is 404 Not Found.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "connection.hpp"
#include "describe_request.hpp"
#include "flags.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "static_files.hpp"
#include "stop_signal.hpp"

// --root's default: the Makefile passes the public/ folder beside this file.
#ifndef PUBLIC_DIR
#define PUBLIC_DIR "public"
#endif

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    long port = 8080;
    std::string root_path = PUBLIC_DIR;
    Flags flags("server", "Stage 3: routes requests to handlers by method and path.");
    flags.add("--host", "ADDR", "address to listen on", host);
    flags.add("--port", "PORT", "port to listen on, 0 picks a free one", port, 0, 65535);
    flags.add("--root", "DIR", "the folder of GET / and GET /static/...", root_path);
    flags.parse(argc, argv);
    const Fd root = open_root(root_path);
    if (!root.valid()) {
        std::fprintf(stderr, "server: --root %s: %s\n", root_path.c_str(), std::strerror(errno));
        return 2;
    }

    // ANCHOR: routes
    Router router;
    // The direct way, as in cpp-httplib's server.Get(...): one call per route.
    router.any("/echo", describe_request);
    // A file tree is a route with a wildcard.
    const int files = root.get();
    router.get("/", [files](const HttpRequest& r) { return serve_file(files, "index.html", r); });
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

        // ANCHOR: accept_loop
        // One client at a time: the next one waits in the kernel's queue
        // until this one is done. Stage 6 will fix that.
        while (wait_readable(listener.get(), -1, stop) == WaitResult::Ready) {
            std::string peer;
            const Fd client = accept_client(listener.get(), peer);
            if (!client.valid()) continue;
            serve_connection(client.get(), peer, handler, stop);
        }  // `client` goes out of scope here: its destructor closes the socket
        // ANCHOR_END: accept_loop
        log_line("stopped");
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "server: %s\n", error.what());
        return 1;
    }
}
