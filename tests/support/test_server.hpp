// TestServer: starts the stage's real server binary for one test.
//
//     TestServer server;                       // build/stageN/server --port 0
//     TestServer server({"--request-timeout", "1"});
//
// The runner's --server-arg flags (tests/blackbox/main.cpp) are added to
// every server's command line, after the test's own.
//
// It waits for the "listening on SCHEME://HOST:PORT" line, so tests know
// the port the kernel picked. The destructor sends SIGTERM and checks that
// the server exits cleanly (status 0), which also catches sanitizer reports.
//
// When the line says https:// (stage 7 on), connect() and exchange() speak
// TLS, verifying the server against build/certs/cert.pem, so the tests of
// earlier stages run over TLS unchanged; connect_plain() still gives raw TCP
// (to send plain HTTP to the TLS port, or half a handshake).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "http_client.hpp"

class TestServer {
public:
    explicit TestServer(std::vector<std::string> extra_args = {});
    ~TestServer();
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    std::uint16_t port() const { return port_; }
    const std::string& listening_line() const { return listening_line_; }
    pid_t pid() const { return pid_; }

    // Whether the server speaks TLS (its listening line says https://).
    bool tls() const { return tls_; }
    // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT", as the server
    // printed it: for tests that hand a URL to curl (which then needs
    // --cacert build/certs/cert.pem when tls()).
    std::string origin() const { return listening_line_.substr(sizeof "listening on " - 1); }
    // A connection the way the server expects one: TLS with the default
    // TlsOptions when it speaks TLS, plain TCP otherwise.
    Connection connect() const { return tls_ ? Connection(port_, TlsOptions{}) : Connection(port_); }
    // Raw TCP, whatever the server speaks.
    Connection connect_plain() const { return Connection(port_); }
    // TLS with these options (see TlsOptions).
    Connection connect_tls(const TlsOptions& options = {}) const { return Connection(port_, options); }

    // Sends `request` on a fresh connection, reads `responses` responses,
    // and closes the connection.
    Exchange exchange(std::string_view request, int responses = 1, bool head_request = false) const;
    // The same, once for every way of delivering the request (see
    // deliveries()): the answers must not depend on how the bytes arrive.
    std::vector<Exchange> exchange_every_way(std::string_view request, int responses = 1,
                                             bool head_request = false) const;

    // Sends SIGTERM and waits for the exit; returns the exit status, or
    // 128+signal if it died from a signal. Safe to call once.
    int stop();
    bool running() const { return pid_ > 0; }
    // For tests that stop the process themselves and have waited for it.
    void forget() { pid_ = -1; }

    // What the server has written to stderr so far.
    std::string log() const;

    // The command line that started the server, ready to paste into a
    // shell, with the port it got instead of "--port 0".
    std::string command_line() const;

private:
    Exchange new_exchange(std::string how, std::string_view request) const;

    std::vector<std::string> args_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string listening_line_;
    std::string log_path_;
    bool tls_ = false;
};

// Runs the server binary to completion (for command-line errors), with
// `args` and then the runner's --server-arg flags: its exit status and
// everything it printed, stdout and stderr together. A
// server still running after 10 s is killed (exit_status -1), so a server
// that starts when it should have refused fails the test instead of
// hanging it.
struct CommandResult {
    int exit_status = -1;
    std::string output;
};
CommandResult run_server(std::vector<std::string> args);

// Raises this process's soft limit on open descriptors to `wanted`, for a
// test that opens hundreds of connections; the servers it starts inherit
// the limit. Fails the test, saying so, when the hard limit is lower.
void allow_descriptors(unsigned long wanted);
