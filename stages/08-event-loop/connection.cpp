#include "connection.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>

#include "http_date.hpp"
#include "log.hpp"
#include "request_parser.hpp"
#include "second_cache.hpp"
#include "socket_io.hpp"
#include "stream.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// While this much waits for a client to take it, we read none of its
// requests: a client that never reads its answers costs this much (and one
// answer), then its send timeout closes it.
constexpr std::size_t kMaxUnsentBytes = 256 * 1024;

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
void close_gracefully(ClientConnection& connection) {
    LogBatch::flush();  // before the client can see the end, its requests are in the log
    connection.stream->close();
    connection.waiting_for = WaitingFor::ClientClose;
}
// ANCHOR_END: close_gracefully

// ANCHOR: close_after_last_response
// After the client's own "Connection: close" there is usually nothing to
// wait for: it has promised to send no more requests (RFC 9112 section 9.6).
// If none of its bytes is unread, close() is safe at once: nothing to
// linger for, and the connection is freed a round trip sooner, which
// counts when every request of a benchmark opens a connection (nginx does
// the same). has_unread() looks without taking or waiting, in the socket
// and, over TLS, in what OpenSSL holds.
void close_after_last_response(ClientConnection& connection) {
    if (!connection.unparsed.empty() || connection.stream->has_unread()) close_gracefully(connection);
}  // otherwise the stream says goodbye and the socket's Fd closes it
// ANCHOR_END: close_after_last_response

// ANCHOR: send_response
// The one way a response leaves, error or not: the headers every response
// carries are added here, the head and the body join the write queue (flush
// sends it), and the log gets a line.
void send_response(ClientConnection& connection, const ConnectionOptions& options, const HttpRequest& request,
                   HttpResponse& response, bool keep_alive, Clock::time_point start) {
    thread_local SecondCache date(http_date);  // the same text for a whole second
    response.headers.add("Date", date.text(std::time(nullptr)));
    response.headers.add("Server", "course-server");
    // Take our Content-Type as it is, never guess from the bytes: a text
    // file that looks like HTML would run as a page, scripts and all.
    response.headers.add("X-Content-Type-Options", "nosniff");
    // No other site may show our pages in a frame and borrow a user's clicks
    // (clickjacking, RFC 7034): every response, files too, in one place.
    response.headers.add("X-Frame-Options", "DENY");
    for (const auto& [name, value] : options.response_headers) response.headers.add(name, value);
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
    connection.unsent += head;
    if (file_bytes > 0) connection.unsent_file = *response.file;
    log_request(connection.peer, request.method, request.target, request.version,
                response.status, head.size() + file_bytes, start);
}
// ANCHOR_END: send_response

// ANCHOR: answer_and_close
// The one way a connection ends on an error. After a malformed request we
// cannot know where the next one starts, so the only safe thing is to
// answer and close. What was parsed goes along (a HEAD's answer has no body).
void answer_and_close(ClientConnection& client, const ConnectionOptions& options, const HttpRequest& request,
                      HttpResponse response) {
    send_response(client, options, request, response, /*keep_alive=*/false, Clock::now());
    client.closing = Closing::Gracefully;  // once the queue has left (serve_connection)
}
// ANCHOR_END: answer_and_close

// Queues the answer to `request`; after the last one, the connection closes:
// at once if the client said close, else carefully (it may be sending more).
void answer(ClientConnection& client, const ConnectionOptions& options, const HttpRequest& request,
            HttpResponse& response, Clock::time_point start, const StopSignal& stop) {
    const bool client_said_close = !client_wants_keep_alive(request);
    const bool keep_alive = !client_said_close && !stop.requested();
    send_response(client, options, request, response, keep_alive, start);
    if (!keep_alive) client.closing = client_said_close ? Closing::AfterLastResponse : Closing::Gracefully;
}

// ANCHOR: flush
// Sends what the socket takes of the write queue, its bytes, then its file.
// False: the client is gone.
bool flush(ClientConnection& client) {
    FileBody& file = client.unsent_file;
    while (client.unsent_bytes() > 0) {
        const bool file_next = client.unsent.empty();
        std::size_t n = 0;
        const Step step = file_next ? client.stream->write_file(file.fd->get(), file.offset, file.length, n)
                                    : client.stream->write_some(client.unsent, n, /*more=*/file.length > 0);
        if (step == Step::Ended) return false;
        if (step != Step::Done) return true;  // full: the loop waits until it is writable
        if (!file_next) {
            client.unsent.erase(0, n);
        } else if (file.offset += n, file.length -= n; file.length == 0) {
            file.fd.reset();  // closes the file
        }
    }
    // A queue that grew for one big response is given back, so that ten
    // thousand quiet connections do not each keep their largest.
    if (client.unsent.capacity() > kMaxUnsentBytes) std::string().swap(client.unsent);
    return true;
}
// ANCHOR_END: flush

}  // namespace

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

namespace {

// ANCHOR: handshake
// A stream may begin with a handshake (TLS), a step at a time on the
// loop, as far as the client's bytes allow. It waits as a request does,
// in epoll, holding nothing else up; request_timeout bounds it.
// Returns nothing once requests may follow.
std::optional<ServeResult> handshake(ClientConnection& client, const StopSignal& stop,
                                     const ConnectionOptions& options) {
    if (client.stream->handshake_done()) return std::nullopt;
    client.waiting_for = WaitingFor::MoreBytes;  // the request timeout applies
    std::string error;
    switch (const Handshake step = client.stream->handshake(error)) {
        case Handshake::Done:
            return std::nullopt;
        case Handshake::WantRead:
        case Handshake::WantWrite:
            if (!client.timed_out && !stop.requested()) {  // quiet: the loop waits
                return step == Handshake::WantRead ? ServeResult::WaitRead : ServeResult::WaitWrite;
            }
            error = client.timed_out ? "it took too long" : "the server is stopping";
            break;
        case Handshake::Failed: break;
        case Handshake::PlainHttp: {  // plain HTTP to the HTTPS port: say so, in plain HTTP,
            ConnectionOptions in_clear = options;  // and without HSTS (RFC 6797 section 7.2)
            in_clear.response_headers = {};
            client.stream = plain_stream(client.socket.get());
            answer_and_close(client, in_clear, HttpRequest{},
                             HttpResponse::error(400, "this port speaks HTTPS: use https:// URLs"));
            log_line(client.peer + " TLS handshake failed: " + error);
            return std::nullopt;  // serve_connection sends the answer
        }
    }
    log_line(client.peer + " TLS handshake failed: " + error);
    return ServeResult::Closed;
}
// ANCHOR_END: handshake

}  // namespace

// ANCHOR: serve_connection
ServeResult serve_connection(ClientConnection& client, const Handler& handler, const StopSignal& stop,
                             const ConnectionOptions& options) {
    // ANCHOR: handshake_call
    if (const std::optional<ServeResult> over = handshake(client, stop, options)) return *over;
    // ANCHOR_END: handshake_call
    // A request whose handler blocked is back from the pool, answered.
    if (client.blocking) {
        answer(client, options, client.blocking->request, client.blocking->response, client.blocking->start, stop);
        client.blocking.reset();
    }
    // The conversation's state lives in `client`, where the next turn finds it.
    RequestParser& parser = client.parser;
    std::string& unparsed = client.unparsed;
    char buffer[kReadBufferSize];
    bool& continue_sent = client.continue_sent;
    const std::string& peer = client.peer;
    bool has_read = false;  // one read per call: level-triggered epoll says if more waits

    while (true) {
        // What the client has not taken yet leaves first. A timeout while
        // some is left is the send timeout: the client does not read.
        if (!flush(client) || (client.timed_out && client.unsent_bytes() > 0)) return ServeResult::Closed;
        if (client.waiting_for == WaitingFor::ClientClose) {  // closing: drop what comes, until its close
            const std::optional<std::size_t> n = read_some(client.socket.get(), buffer, sizeof buffer);
            return client.timed_out || (n && *n == 0) ? ServeResult::Closed : ServeResult::WaitRead;
        }
        // The last response is queued: once it has left, close.
        if (client.closing != Closing::No) {
            if (client.unsent_bytes() > 0) return ServeResult::WaitWrite;
            if (client.closing == Closing::AfterLastResponse) close_after_last_response(client);
            else close_gracefully(client);  // we are stopping, or the request was bad: it may be sending more
            if (client.waiting_for != WaitingFor::ClientClose) return ServeResult::Closed;
            continue;
        }
        // Back-pressure: no more requests while the client owes us reading,
        // or a file (nothing queues behind one). Its bytes wait in the
        // kernel, then its own send() waits (TCP flow control).
        if (client.unsent.size() > kMaxUnsentBytes || client.unsent_file.length > 0) return ServeResult::WaitWrite;

        // Parse what we have before reading more: with pipelining, the next
        // request may already be in `unparsed`.
        unparsed.erase(0, parser.feed(unparsed));

        if (parser.failed()) {
            answer_and_close(client, options, parser.request(),
                             HttpResponse::error(parser.error_status(), parser.error()));
            continue;
        }

        if (parser.complete()) {
            const auto start = Clock::now();
            HttpRequest request = parser.take_request();
            request.client = peer;
            continue_sent = false;
            ++client.requests;
            if (options.blocks(request)) {
                client.blocking = BlockingRequest{std::move(request), {}, start};
                return ServeResult::Blocking;  // the loop runs its handler on the pool
            }
            HttpResponse response = call_handler(handler, request, peer);
            answer(client, options, request, response, start, stop);
            continue;
        }

        // "Expect: 100-continue": the client holds its body back until we
        // say go on (RFC 9110 section 10.1.1), so a big upload that we would
        // refuse anyway (413) is never sent.
        if (parser.waiting_for_body_after_continue() && !continue_sent) {
            client.unsent += "HTTP/1.1 100 Continue\r\n\r\n";
            continue_sent = true;
            continue;
        }

        // The parser needs more bytes. Once a request has begun it has
        // request_timeout to arrive whole; a quiet connection between
        // requests is kept idle_timeout, then closed.
        client.waiting_for = parser.started() ? WaitingFor::MoreBytes : WaitingFor::NextRequest;
        if (client.timed_out || stop.requested()) {
            if (parser.started() && client.timed_out) {
                answer_and_close(client, options, parser.request(),
                                 HttpResponse::error(408, "the request did not arrive in time"));
                continue;
            }
            if (client.unsent_bytes() > 0) return ServeResult::WaitWrite;  // stopping: its answer leaves first
            // A connection that sent nothing has no request to answer: we
            // close it quietly (RFC 9112 section 9.5 lets either side close
            // an idle connection).
            return ServeResult::Closed;
        }
        // Bytes the stream holds (TLS) are read at once: epoll cannot see them.
        if (has_read && !client.stream->has_buffered()) return ServeResult::WaitRead;
        has_read = true;
        std::size_t n = 0;
        const Step step = client.stream->read_some(buffer, sizeof buffer, n);
        if (step == Step::WantRead) return ServeResult::WaitRead;
        if (step == Step::WantWrite) return ServeResult::WaitWrite;
        // The client has closed its side: what it sent is answered, then we close.
        if (step == Step::Ended) client.closing = Closing::AfterLastResponse;
        unparsed.append(buffer, n);
    }
}
// ANCHOR_END: serve_connection

// Retry-After tells a well-behaved client when to come back (RFC 9110
// section 10.2.3): in a second, a worker is likely to be free.
constexpr std::string_view kRetryAfterSeconds = "1";

void refuse_request(ClientConnection& client) {
    HttpResponse response = HttpResponse::error(503, "every worker is busy; try again in a moment");
    response.headers.add("Retry-After", std::string(kRetryAfterSeconds));
    client.blocking->response = std::move(response);
}
