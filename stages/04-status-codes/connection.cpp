#include "connection.hpp"

#include <sys/socket.h>

#include <chrono>
#include <ctime>
#include <optional>

#include "http_date.hpp"
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

// ANCHOR: send_response
// The one way a response leaves, error or not: the headers every response
// carries are added here, the head and the body go out, and the log gets a
// line. Returns false when the client is gone.
bool send_response(int client, const std::string& peer, const HttpRequest& request,
                   HttpResponse& response, bool keep_alive, Clock::time_point start) {
    response.headers.add("Date", http_date(std::time(nullptr)));
    response.headers.add("Server", "course-server");
    // Take our Content-Type as it is, never guess from the bytes: a text
    // file that looks like HTML would run as a page, scripts and all.
    response.headers.add("X-Content-Type-Options", "nosniff");
    if (!keep_alive) {
        response.headers.add("Connection", "close");
    } else if (request.version == "HTTP/1.0") {
        response.headers.add("Connection", "keep-alive");  // 1.0 needs telling
    }
    // One write for the whole response: two small writes on a keep-alive
    // connection meet Nagle's algorithm on our side and delayed ACKs on the
    // client's, and each response waits 40 ms. So a file's head goes with
    // MSG_MORE: the kernel sends it with the file's first bytes. To HEAD,
    // the head alone (RFC 9110 section 9.3.2).
    const bool include_body = request.method != "HEAD";
    const std::string head = response.serialize(include_body);
    const std::uint64_t file_bytes = response.file && include_body ? response.file->length : 0;
    bool sent = write_all(client, head, /*more=*/file_bytes > 0);
    if (sent && file_bytes > 0) {
        sent = send_file(client, response.file->fd->get(), response.file->offset, file_bytes);
    }
    log_request(peer, request.method, request.target, request.version, response.status,
                head.size() + file_bytes, start);
    return sent;
}
// ANCHOR_END: send_response

// ANCHOR: answer_and_close
// The one way a connection ends on an error. After a malformed request we
// cannot know where the next one starts, so the only safe thing is to
// answer and close. What was parsed goes along (a HEAD's answer has no body).
void answer_and_close(int client, const std::string& peer, const HttpRequest& request,
                      HttpResponse response) {
    send_response(client, peer, request, response, /*keep_alive=*/false, Clock::now());
    close_gracefully(client);
}
// ANCHOR_END: answer_and_close

// ANCHOR: call_handler
// A handler that throws costs one request, not the server: the client gets
// 500 and the connection goes on. The exception's text goes to the log, not
// to the client, since it may say more than an attacker should know.
HttpResponse call_handler(const Handler& handler, HttpRequest& request, const std::string& peer) {
    try {
        return handler(request);
    } catch (const std::exception& error) {
        log_line(peer + " handler failed: " + error.what());
    } catch (...) {
        log_line(peer + " handler failed with an unknown exception");
    }
    return HttpResponse::error(500, "the server failed while answering this request");
}
// ANCHOR_END: call_handler

}  // namespace

// ANCHOR: serve_connection
void serve_connection(int client, const std::string& peer, const Handler& handler,
                      const StopSignal& stop, const ConnectionOptions& options) {
    RequestParser parser;
    std::string unparsed;  // bytes read from the socket that the parser has not used yet
    char buffer[kReadBufferSize];
    bool continue_sent = false;
    // When the request that has begun to arrive must be complete.
    std::optional<Clock::time_point> deadline;

    while (true) {
        // Parse what we have before reading more: with pipelining, the next
        // request may already be in `unparsed`.
        unparsed.erase(0, parser.feed(unparsed));

        if (parser.failed()) {
            answer_and_close(client, peer, parser.request(),
                             HttpResponse::error(parser.error_status(), parser.error()));
            return;
        }

        if (parser.complete()) {
            const auto start = Clock::now();
            HttpRequest request = parser.take_request();
            HttpResponse response = call_handler(handler, request, peer);
            const bool keep_alive = client_wants_keep_alive(request) && !stop.requested();
            if (!send_response(client, peer, request, response, keep_alive, start)) return;
            if (!keep_alive) {
                close_gracefully(client);
                return;
            }
            continue_sent = false;
            deadline.reset();
            continue;
        }

        // "Expect: 100-continue": the client holds its body back until we
        // say go on (RFC 9110 section 10.1.1), so a big upload that we would
        // refuse anyway (413) is never sent.
        if (parser.waiting_for_body_after_continue() && !continue_sent) {
            if (!write_all(client, "HTTP/1.1 100 Continue\r\n\r\n")) return;
            continue_sent = true;
        }

        // The parser needs more bytes. Once a request has begun it has
        // request_timeout to arrive whole: otherwise a client that sends
        // half a request and stops holds this connection forever.
        if (!deadline && parser.started()) deadline = Clock::now() + options.request_timeout;
        const Waited waited =
            wait_readable(client, stop, deadline.value_or(Clock::now() + options.request_timeout));
        if (waited == Waited::Stopped) return;
        if (waited == Waited::TimedOut) {
            if (parser.started()) {
                answer_and_close(client, peer, parser.request(),
                                 HttpResponse::error(408, "the request did not arrive in time"));
            }
            // A connection that sent nothing has no request to answer: we
            // close it quietly (RFC 9112 section 9.5 lets either side close
            // an idle connection).
            return;
        }
        const std::size_t n = read_some(client, buffer, sizeof buffer);
        if (n == 0) return;  // the client closed (or reset) the connection
        unparsed.append(buffer, n);
    }
}
// ANCHOR_END: serve_connection
