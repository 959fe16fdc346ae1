// Stage 1: a TCP echo server, and the command line every stage shares.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <thread>

#include "bytes.hpp"
#include "stage_test.hpp"
#include "test_server.hpp"

using namespace std::string_literals;

STAGE_RANGE_TEST(1, 1, "the first line is 'listening on tcp://HOST:PORT'") {
    TestServer server;
    CHECK(server.listening_line() == "listening on tcp://127.0.0.1:" + std::to_string(server.port()));
}

STAGE_RANGE_TEST(1, 1, "every byte comes back, however it is cut") {
    TestServer server;
    const std::string message = "hello\r\n\0binary\xff bytes\n"s;
    for (const auto& [how, cuts] : deliveries(message)) {
        INFO("sent " << how);
        Connection client = server.connect();
        client.send_in_pieces(message, cuts);
        client.shutdown_write();
        CHECK(client.closed_by_server());
        CHECK_BYTES(client.received(), message);
    }
}

STAGE_RANGE_TEST(1, 1, "a megabyte comes back whole (partial writes are finished)") {
    TestServer server;
    std::string message(1024 * 1024, 'x');
    for (std::size_t i = 0; i < message.size(); i += 997) message[i] = static_cast<char>('a' + i % 26);
    Connection client = server.connect();
    // Send from another thread: the server's replies fill our receive
    // buffer while we are still sending, so we must read at the same time.
    std::thread sender([&] {
        client.send(message);
        client.shutdown_write();
    });
    const bool closed = client.closed_by_server(std::chrono::seconds(10));
    sender.join();
    CHECK(closed);
    CHECK_BYTES(client.received(), message);
}

STAGE_RANGE_TEST(1, 1, "clients are served one after another") {
    TestServer server;
    for (int i = 0; i < 5; ++i) {
        Connection client = server.connect();
        const std::string message = "client " + std::to_string(i);
        client.send(message);
        client.shutdown_write();
        CHECK(client.closed_by_server());
        CHECK_BYTES(client.received(), message);
    }
}

// A client that vanishes with a TCP reset (SO_LINGER with a zero timeout
// makes close() send RST instead of FIN) must not take the server down.
static void reset_connection(Connection& client) {
    const linger abort_on_close{1, 0};
    ::setsockopt(client.fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    client.close();
}

STAGE_RANGE_TEST(1, 1, "a client that resets the connection does not stop the server") {
    TestServer server;
    {
        Connection rude = server.connect();
        rude.send("half a mess");
        reset_connection(rude);
    }
    Connection polite = server.connect();
    polite.send("still there?");
    polite.shutdown_write();
    CHECK(polite.closed_by_server());
    CHECK_BYTES(polite.received(), "still there?");
}

STAGE_TEST(1, "SIGTERM stops the server with exit status 0") {
    TestServer server;
    CHECK(server.stop() == 0);
}

STAGE_TEST(1, "SIGINT (Ctrl-C) stops the server with exit status 0") {
    TestServer server;
    ::kill(server.pid(), SIGINT);
    int status = 0;
    ::waitpid(server.pid(), &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    server.forget();
}

STAGE_TEST(1, "an unknown flag is a one-line error naming it, then usage, exit status 2") {
    const CommandResult result = run_server({"--no-such-flag"});
    CHECK(result.exit_status == 2);
    CHECK(result.output.find("--no-such-flag") < result.output.find('\n'));
    CHECK(result.output.find("usage:") != std::string::npos);
}

STAGE_TEST(1, "--help prints the usage and the defaults, exit status 0") {
    const CommandResult result = run_server({"--help"});
    INFO(result.output);
    CHECK(result.exit_status == 0);
    CHECK(result.output.find("usage:") != std::string::npos);
    CHECK(result.output.find("--host ADDR") != std::string::npos);
    CHECK(result.output.find("(default 127.0.0.1)") != std::string::npos);
    // A flag that is off until given (stage 7's --redirect-port) shows no default, not a value it refuses.
    CHECK(result.output.find("(default -") == std::string::npos);
}

STAGE_TEST(1, "a bad port value is an error naming --port, exit status 2") {
    for (const char* bad : {"abc", "-1", "65536", ""}) {
        INFO("--port '" << bad << "'");
        const CommandResult result = run_server({"--port", bad});
        CHECK(result.exit_status == 2);
        CHECK(result.output.find("--port") < result.output.find('\n'));
    }
}

STAGE_TEST(1, "a port already in use is an error, not a crash") {
    TestServer first;
    const CommandResult result = run_server({"--port", std::to_string(first.port())});
    CHECK(result.exit_status == 1);
    CHECK(result.output.find("Address already in use") != std::string::npos);
}
