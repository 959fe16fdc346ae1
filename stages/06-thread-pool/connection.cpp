#include "connection.hpp"

#include <sys/socket.h>

#include <algorithm>
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
// That wait holds no worker, as any other quiet connection's.
constexpr std::chrono::seconds kLingerTime{1};  // a client's FIN needs a round trip or two

void close_gracefully(ClientConnection& connection) {
    ::shutdown(connection.socket.get(), SHUT_WR);
    connection.waiting_for = WaitingFor::ClientClose;
    connection.wait_until = Clock::now() + kLingerTime;
}
// ANCHOR_END: close_gracefully

// ANCHOR: close_after_last_response
// After the client's own "Connection: close" there is usually nothing to
// wait for: it has promised to send no more requests (RFC 9112 section 9.6).
// If none of its bytes is unread, close() is safe at once: nothing to
// linger for, and the connection is freed a round trip sooner, which
// counts when every request of a benchmark opens a connection (nginx does
// the same). recv() with MSG_PEEK | MSG_DONTWAIT looks without taking or
// waiting (recv(2)): 0, the client has closed too; a byte, something unread.
void close_after_last_response(ClientConnection& connection) {
    char byte = 0;
    if (!connection.unparsed.empty() ||
        ::recv(connection.socket.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
        close_gracefully(connection);
    }
}  // otherwise the socket's Fd closes it
// ANCHOR_END: close_after_last_response

// ANCHOR: send_response
// The one way a response leaves, error or not: the headers every response
// carries are added here, the head and the body go out, and the log gets a
// line. Returns false when the client is gone.
bool send_response(ClientConnection& connection, const HttpRequest& request, HttpResponse& response,
                   bool keep_alive, Clock::time_point start, bool log = true) {
    response.headers.add("Date", http_date(std::time(nullptr)));
    response.headers.add("Server", "course-server");
    // Take our Content-Type as it is, never guess from the bytes: a text
    // file that looks like HTML would run as a page, scripts and all.
    response.headers.add("X-Content-Type-Options", "nosniff");
    // No other site may show our pages in a frame and borrow a user's clicks
    // (clickjacking, RFC 7034): every response, files too, in one place.
    response.headers.add("X-Frame-Options", "DENY");
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
    const int client = connection.socket.get();
    bool sent = write_all(client, head, /*more=*/file_bytes > 0);
    if (sent && file_bytes > 0) {
        sent = send_file(client, response.file->fd->get(), response.file->offset, file_bytes);
    }
    if (log) log_request(connection.peer, request.method, request.target, request.version,
                         response.status, head.size() + file_bytes, start);
    return sent;
}
// ANCHOR_END: send_response

// ANCHOR: answer_and_close
// The one way a connection ends on an error. After a malformed request we
// cannot know where the next one starts, so the only safe thing is to
// answer and close. What was parsed goes along (a HEAD's answer has no body).
void answer_and_close(ClientConnection& client, const HttpRequest& request, HttpResponse response,
                      bool log = true) {
    send_response(client, request, response, /*keep_alive=*/false, Clock::now(), log);
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

// ANCHOR: end_of_turn
// The second half of the fairness rule: a worker waits a moment for a quiet client (a busy
// keep-alive client's next request comes within it), and not at all while others wait; then
// the connection goes to the waiting room, its deadlines unchanged.
constexpr std::chrono::milliseconds kQuietTurn{5};

Clock::time_point end_of_turn(Clock::time_point deadline, const ConnectionOptions& options) {
    const auto turn = options.others_waiting() ? std::chrono::milliseconds(0) : kQuietTurn;
    return std::min(deadline, Clock::now() + turn);
}
// ANCHOR_END: end_of_turn

}  // namespace

// ANCHOR: serve_connection
ServeResult serve_connection(ClientConnection& client, const Handler& handler, const StopSignal& stop,
                             const ConnectionOptions& options) {
    // The conversation's state lives in `client`, where the next turn finds it.
    RequestParser& parser = client.parser;
    std::string& unparsed = client.unparsed;
    char buffer[kReadBufferSize];
    bool& continue_sent = client.continue_sent;
    const std::string& peer = client.peer;

    while (true) {
        // Parse what we have before reading more: with pipelining, the next
        // request may already be in `unparsed`.
        unparsed.erase(0, parser.feed(unparsed));

        if (parser.failed()) {
            answer_and_close(client, parser.request(),
                             HttpResponse::error(parser.error_status(), parser.error()));
            return ServeResult::Closed;
        }

        if (parser.complete()) {
            const auto start = Clock::now();
            HttpRequest request = parser.take_request();
            request.client = peer;
            HttpResponse response = call_handler(handler, request, peer);
            const bool client_said_close = !client_wants_keep_alive(request);
            const bool keep_alive = !client_said_close && !stop.requested();
            if (!send_response(client, request, response, keep_alive, start)) return ServeResult::Closed;
            if (!keep_alive) {
                if (client_said_close) close_after_last_response(client);
                else close_gracefully(client);  // we are stopping: it may be sending more
                return ServeResult::Closed;
            }
            continue_sent = false;
            client.request_deadline.reset();
            client.idle_deadline.reset();
            // The fairness rule: while others wait for a worker, a connection gets one request
            // per turn, then goes to the back of the queue. Without it, five busy keep-alive
            // clients would keep the five workers forever and a sixth would never be served.
            if (options.others_waiting()) return ServeResult::TurnOver;
            continue;
        }

        // "Expect: 100-continue": the client holds its body back until we
        // say go on (RFC 9110 section 10.1.1), so a big upload that we would
        // refuse anyway (413) is never sent.
        if (parser.waiting_for_body_after_continue() && !continue_sent) {
            if (!write_all(client.socket.get(), "HTTP/1.1 100 Continue\r\n\r\n")) return ServeResult::Closed;
            continue_sent = true;
        }

        // The parser needs more bytes. Once a request has begun it has
        // request_timeout to arrive whole; a quiet connection between
        // requests is kept idle_timeout, then closed.
        std::optional<Clock::time_point>& deadline =
            parser.started() ? client.request_deadline : client.idle_deadline;
        if (!deadline) {
            deadline = Clock::now() + (parser.started() ? options.request_timeout : options.idle_timeout);
        }
        const Waited waited = wait_readable(client.socket.get(), stop, end_of_turn(*deadline, options));
        if (waited == Waited::Stopped) return ServeResult::Closed;
        if (waited == Waited::TimedOut && Clock::now() < *deadline) {  // quiet: to the waiting room
            client.waiting_for = parser.started() ? WaitingFor::MoreBytes : WaitingFor::NextRequest;
            client.wait_until = *deadline;
            return ServeResult::Waiting;
        }
        if (waited == Waited::TimedOut) {
            if (parser.started()) {
                answer_and_close(client, parser.request(),
                                 HttpResponse::error(408, "the request did not arrive in time"));
            }
            // A connection that sent nothing has no request to answer: we
            // close it quietly (RFC 9112 section 9.5 lets either side close
            // an idle connection).
            return ServeResult::Closed;
        }
        const std::size_t n = read_some(client.socket.get(), buffer, sizeof buffer);
        if (n == 0) return ServeResult::Closed;  // the client closed (or reset) the connection
        unparsed.append(buffer, n);
    }
}
// ANCHOR_END: serve_connection

// ANCHOR: refuse_connection
// Retry-After tells a well-behaved client when to come back (RFC 9110
// section 10.2.3): in a second, a worker is likely to be free.
constexpr std::string_view kRetryAfterSeconds = "1";

// The accept loop calls this, so it must cost microseconds. Take what has arrived (thanks to
// TCP_DEFER_ACCEPT, the request) without waiting, so that no unread request turns the close
// into a reset; answer; half-close. The waiting room reads whatever else comes, then closes.
void refuse_connection(ClientConnection& client) {
    char discard[kReadBufferSize];
    [[maybe_unused]] const ssize_t n = ::recv(client.socket.get(), discard, sizeof discard, MSG_DONTWAIT);
    HttpResponse response = HttpResponse::error(503, "every worker is busy; try again in a moment");
    response.headers.add("Retry-After", std::string(kRetryAfterSeconds));
    answer_and_close(client, HttpRequest{}, std::move(response), /*log=*/false);
}
// ANCHOR_END: refuse_connection
