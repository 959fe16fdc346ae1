// Stage 1: a TCP echo server. One client at a time, every byte it sends
// comes back until it closes: the loop that every later stage builds on.

#include <cstdio>
#include <exception>
#include <string>

#include "connection.hpp"
#include "flags.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "stop_signal.hpp"
#include "wait.hpp"

namespace {

// What the command line can change (docs/course.md section 4).
struct Config {
    std::string host = "127.0.0.1";
    long port = 8080;
};

Config parse_flags(int argc, char** argv) {
    Config config;
    Flags flags("server", "Stage 1: a TCP echo server. Sends back every byte it receives.");
    flags.add("--host", "ADDR", "address to listen on", config.host);
    flags.add("--port", "PORT", "port to listen on, 0 picks a free one", config.port, 0, 65535);
    flags.parse(argc, argv);
    return config;
}

void run_server(const Config& config) {
    StopSignal stop;  // SIGINT (Ctrl-C) and SIGTERM end the loop below
    const Fd listener = listen_tcp(config.host, static_cast<std::uint16_t>(config.port));
    std::printf("listening on tcp://%s:%u\n", config.host.c_str(), bound_port(listener.get()));
    std::fflush(stdout);  // scripts wait for this line: do not leave it in a buffer

    // ANCHOR: accept_loop
    // One client at a time: the next one waits in the kernel's queue
    // until this one is done. Stage 6 will fix that.
    while (wait_readable(listener.get(), stop) == Waited::Ready) {
        std::string peer;
        const Fd client = accept_client(listener.get(), peer);
        if (!client.valid()) continue;
        const std::size_t echoed = serve_connection(client.get(), stop);
        log_line(peer + " closed, " + std::to_string(echoed) + " bytes echoed");
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
    } catch (const std::exception& error) {
        std::fprintf(stderr, "server: %s\n", error.what());
        return 1;
    }
}
