// A deliberately simple HTTP client for black-box tests.
//
// It sends exactly the bytes a test gives it, over a real TCP connection,
// so that malformed requests can be sent as easily as good ones, and it
// reads responses with a time limit so that a broken server fails a test
// instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fd.hpp"

struct Response {
    std::string version;  // "HTTP/1.1"
    int status = 0;       // 0: no complete response arrived (see `error`)
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string error;  // why status is 0: "timed out", "connection closed", ...

    // The value of the first header called `name` (any case), or "".
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

class Connection {
public:
    explicit Connection(std::uint16_t port);

    // Sends every byte at once.
    void send(std::string_view bytes);
    // Sends the bytes cut at the given offsets, pausing between pieces so
    // that the server really receives them in separate reads.
    void send_in_pieces(std::string_view bytes, const std::vector<std::size_t>& cuts);

    // Reads one response. HEAD responses have no body whatever their
    // Content-Length says, so the caller must say when it sent HEAD.
    Response read_response(bool head_request = false,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // True once the server has closed (EOF or reset) within `timeout`.
    // Bytes that arrive meanwhile are kept in received().
    bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(2));

    // Closes our side completely (no more sends, no more reads).
    void close() { fd_.reset(); }
    // Half-closes: sends FIN, but keeps reading.
    void shutdown_write();

    // Every byte the server has sent on this connection so far.
    const std::string& received() const { return received_; }
    int fd() const { return fd_.get(); }

private:
    // Waits for more bytes; false on timeout, EOF or error (sets eof_).
    bool receive_more(std::chrono::steady_clock::time_point deadline);

    Fd fd_;
    std::string received_;
    std::size_t consumed_ = 0;  // bytes of received_ already parsed into responses
    bool eof_ = false;
};

// One request sent one way, and what came back. The connection is closed
// once the responses are read: stages 1-5 serve one connection at a time,
// so a test that kept it open would block its own next connection. Tests
// that go on talking on one connection use a Connection directly.
struct Exchange {
    std::string how;      // "in one piece", "one byte at a time", ...
    std::string request;  // the exact bytes sent
    std::vector<Response> responses;
    std::string received;  // every byte the server sent
    // Whether the server closed the connection after its last response.
    // When that response says "Connection: close" we wait (up to 2 s) for
    // the close; otherwise we only look whether it has already happened.
    bool closed = false;

    const Response& response() const { return responses.front(); }
};

// Reads `count` responses from `connection` into `exchange`, sets
// `closed`, then closes the connection.
void read_responses(Connection& connection, Exchange& exchange, int count, bool head_request);

// Printed by doctest's INFO() when a check fails: the bytes sent and got.
std::ostream& operator<<(std::ostream& out, const Exchange& exchange);

// How a request can be delivered: whole, a byte at a time (small requests),
// and cut at the awkward places (inside "\r\n", between head and body).
std::vector<std::pair<std::string, std::vector<std::size_t>>> deliveries(std::string_view request);
