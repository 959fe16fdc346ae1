#include "connection.hpp"

#include <sys/socket.h>

#include <chrono>

#include "log.hpp"
#include "request_parser.hpp"
#include "socket_io.hpp"
#include "wait.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// ANCHOR: keep_alive
// Persistence rules of RFC 9112 section 9.3: an HTTP/1.1 connection stays
// open unless a side says "Connection: close"; an HTTP/1.0 one closes unless
// the client says "Connection: keep-alive".
bool client_wants_keep_alive(const HttpRequest& request) {
    bool close = false;
    bool keep_alive = false;
    for (std::string_view field : request.headers.all("Connection")) {
        for (std::string_view option : split(field, ',')) {
            close = close || iequals(trim_ows(option), "close");
            keep_alive = keep_alive || iequals(trim_ows(option), "keep-alive");
        }
    }
    if (request.version == "HTTP/1.0") return keep_alive && !close;
    return !close;
}
// ANCHOR_END: keep_alive

// ANCHOR: close_gracefully
// Closing a connection the careful way (RFC 9112 section 9.6). If we
// close() while the client's bytes are still unread in our receive buffer,
// the kernel answers with a TCP reset, and a reset can destroy the response
// we just sent before the client has read it. So: first stop sending
// (shutdown SHUT_WR sends FIN after our response), then read and discard
// what the client still sends until it closes too, within limits: the
// careful close protects a response, it must not let a client hold us.
constexpr std::chrono::seconds kLingerTime{1};  // a client's FIN needs a round trip or two
constexpr std::size_t kLingerBytes = 1024 * 1024;  // say, the rest of a body we refused

void close_gracefully(int client) {
    ::shutdown(client, SHUT_WR);
    const auto deadline = Clock::now() + kLingerTime;
    char discard[kReadBufferSize];
    std::size_t discarded = 0;
    while (discarded < kLingerBytes && wait_for(client, POLLIN, deadline) == Waited::Ready) {
        const std::size_t n = read_some(client, discard, sizeof discard);
        if (n == 0) return;  // the client has closed its side too
        discarded += n;
    }
}
// ANCHOR_END: close_gracefully

// The one way a response leaves, error or not: the headers every response
// carries are added here, the response goes out, and the log gets a line.
// Returns false when the client is gone.
bool send_response(int client, const std::string& peer, const HttpRequest& request,
                   HttpResponse& response, bool keep_alive, Clock::time_point start) {
    if (!keep_alive) {
        response.headers.add("Connection", "close");
    } else if (request.version == "HTTP/1.0") {
        response.headers.add("Connection", "keep-alive");  // 1.0 needs telling
    }
    // One write for the whole response: two small writes on a keep-alive
    // connection meet Nagle's algorithm on our side and delayed ACKs on the
    // client's, and each response waits 40 ms. To HEAD, the head alone
    // (RFC 9110 section 9.3.2).
    std::string bytes = response.serialize();
    if (request.method == "HEAD") bytes.resize(bytes.size() - response.body.size());
    const bool sent = write_all(client, bytes);
    log_request(peer, request.method, request.target, request.version, response.status,
                bytes.size(), start);
    return sent;
}

}  // namespace

// ANCHOR: serve_connection
void serve_connection(int client, const std::string& peer, const Handler& handler,
                      const StopSignal& stop) {
    RequestParser parser;
    std::string unparsed;  // bytes read from the socket that the parser has not used yet
    char buffer[kReadBufferSize];

    while (true) {
        // Parse what we have before reading more: with pipelining, the next
        // request may already be in `unparsed`.
        unparsed.erase(0, parser.feed(unparsed));

        if (parser.failed()) {
            // After a malformed request we cannot know where the next one
            // starts, so the only safe thing is to answer and close. What was
            // parsed goes along: the answer to a HEAD has no body either.
            HttpResponse response = HttpResponse::text(400, "Bad Request: " + parser.error() + "\n");
            send_response(client, peer, parser.request(), response, /*keep_alive=*/false, Clock::now());
            close_gracefully(client);
            return;
        }

        if (parser.complete()) {
            const auto start = Clock::now();
            const HttpRequest request = parser.take_request();
            HttpResponse response = handler(request);
            const bool keep_alive = client_wants_keep_alive(request) && !stop.requested();
            if (!send_response(client, peer, request, response, keep_alive, start)) return;
            if (!keep_alive) {
                close_gracefully(client);
                return;
            }
            continue;
        }

        // The parser needs more bytes.
        if (wait_readable(client, stop) != Waited::Ready) return;
        const std::size_t n = read_some(client, buffer, sizeof buffer);
        if (n == 0) return;  // the client closed (or reset) the connection
        unparsed.append(buffer, n);
    }
}
// ANCHOR_END: serve_connection
