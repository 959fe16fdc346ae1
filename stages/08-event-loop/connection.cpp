#include "connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>

#include "http_date.hpp"
#include "log.hpp"
#include "request_parser.hpp"
#include "second_cache.hpp"
#include "socket_io.hpp"
#include "tls.hpp"

namespace {

// ANCHOR: back_pressure
// While this much waits for a client to take it, we read none of its
// requests: a client that never reads its answers costs this much (and one
// answer), then its send timeout closes it.
constexpr std::size_t kMaxUnsentBytes = 256 * 1024;
// ANCHOR_END: back_pressure

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
// what the client still sends until it closes too, for at most a second.
// serve_connection discards; the loop keeps the time (server.cpp).
void close_gracefully(ClientConnection& connection) {
    LogBatch::flush();  // before the client can see the end, its requests are in the log
    // Over TLS, say goodbye in TLS first (close_notify), then in TCP.
    if (connection.tls) tls_close(connection.tls.get());
    ::shutdown(connection.socket.get(), SHUT_WR);
    connection.waiting_for = WaitingFor::ClientClose;
}
// ANCHOR_END: close_gracefully

// ANCHOR: close_after_last_response
// After the client's own "Connection: close" there is usually nothing to
// wait for: it has promised to send no more requests (RFC 9112 section 9.6).
// If none of its bytes is unread, close() is safe at once and frees the
// connection a round trip sooner (nginx does the same). recv() with
// MSG_PEEK | MSG_DONTWAIT looks without taking or waiting (recv(2)): 0, the
// client has closed too; a byte, something unread: the careful way then.
void close_after_last_response(ClientConnection& connection) {
    char byte = 0;
    const bool unread =
        !connection.unparsed.empty() ||
        (connection.tls && SSL_has_pending(connection.tls.get()) == 1) ||
        ::recv(connection.socket.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    if (unread) {
        close_gracefully(connection);
    } else if (connection.tls) {
        LogBatch::flush();
        tls_close(connection.tls.get());  // close_notify; the socket's Fd closes the rest
    }
}
// ANCHOR_END: close_after_last_response

using Clock = std::chrono::steady_clock;

void log_request(const std::string& peer, const HttpRequest& request, int status,
                 std::uint64_t bytes, Clock::time_point start) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    const std::string request_line = request.method.empty()
                                         ? "(no valid request)"
                                         : request.method + " " + escape_bytes(request.target) +
                                               " " + request.version;
    log_line(peer + " \"" + request_line + "\" " + std::to_string(status) + " " +
             std::to_string(bytes) + " " + std::to_string(micros / 1000) + "." +
             std::to_string(micros % 1000 / 100) + "ms");
}

// ANCHOR: send_bytes
// Bytes for the client go through TLS when the connection has a session,
// straight to the socket otherwise. Nothing above this line knows which.
// What the socket takes now: a count, 0 when the client is gone, or nothing yet.
std::optional<std::size_t> send_bytes(ClientConnection& client, std::string_view bytes, bool more) {
    if (client.tls) return tls_write_some(client.tls.get(), bytes);
    return write_some(client.socket.get(), bytes, more);
}

// Bytes from the client: a count, 0 when it is gone, or nothing yet.
std::optional<std::size_t> receive_bytes(ClientConnection& client, char* buffer, std::size_t capacity) {
    if (client.tls) return tls_read_some(client.tls.get(), buffer, capacity);
    return read_some(client.socket.get(), buffer, capacity);
}
// ANCHOR_END: send_bytes

// ANCHOR: send_file_part
// Over TLS a file joins the write queue's bytes this much at a time: four
// full TLS records of 16 KiB.
constexpr std::uint64_t kFileChunk = 64 * 1024;

// The write queue's file. Plain TCP hands it to the kernel (sendfile). TLS
// must encrypt every byte, so the file is read onto the queue's bytes in
// bounded chunks, a chunk when they run low: a large file never sits in
// memory whole. Returns what the socket took, or what was read: a count; 0
// when the client is gone, or the file shrank since its length was taken
// (that length cannot be kept); nothing when the socket is full.
std::optional<std::size_t> send_file_part(ClientConnection& client) {
    FileBody& file = client.unsent_file;
    std::optional<std::size_t> n;
    if (!client.tls) {
        n = send_file(client.socket.get(), file.fd->get(), file.offset, file.length);
    } else {
        std::string& chunk = client.unsent;
        const std::size_t start = chunk.size();
        chunk.resize(start + std::min(file.length, kFileChunk));
        const ssize_t got = ::pread(file.fd->get(), &chunk[start], chunk.size() - start, static_cast<off_t>(file.offset));
        n = got > 0 ? static_cast<std::size_t>(got) : 0;
        chunk.resize(start + *n);
    }
    if (n) {
        file.offset += *n;
        file.length -= *n;
        if (file.length == 0) file.fd.reset();  // closes the file
    }
    return n;
}
// ANCHOR_END: send_file_part

// ANCHOR: send_response
// The one way a response leaves, error or not: the headers every response
// carries are added here, the head and the body join the write queue, and
// the log gets a line.
void send_response(ClientConnection& client, const HttpRequest& request, HttpResponse& response,
                   bool keep_alive, Clock::time_point start) {
    thread_local SecondCache date(http_date);  // the same text for a whole second
    response.headers.add("Date", date.text(std::time(nullptr)));
    response.headers.add("Server", "course-server");
    // Take our Content-Type as it is, never guess from the bytes: a text
    // file that looks like HTML would run as a page, scripts and all.
    response.headers.add("X-Content-Type-Options", "nosniff");
    if (client.tls) {
        // HSTS (RFC 6797): "for a year, reach this host over HTTPS only",
        // so a browser never again tries plain http:// where an attacker
        // could answer. Sent only over TLS, as section 7.2 requires.
        response.headers.add("Strict-Transport-Security", "max-age=31536000");
    }
    if (!keep_alive) {
        response.headers.add("Connection", "close");
    } else if (request.version == "HTTP/1.0") {
        response.headers.add("Connection", "keep-alive");  // 1.0 needs telling
    }
    // One write for the whole response: status line, headers and body leave
    // together. Two small writes on a keep-alive connection meet Nagle's
    // algorithm on our side and delayed ACKs on the client's, and every
    // response then waits about 40 ms. So a file's head goes with MSG_MORE:
    // the kernel holds it back and sends it with the file's first bytes.
    const bool include_body = request.method != "HEAD";
    const std::string head = response.serialize(include_body);
    const std::uint64_t file_bytes = response.file && include_body ? response.file->length : 0;
    client.unsent += head;
    if (file_bytes > 0) client.unsent_file = *response.file;
    log_request(client.peer, request, response.status, head.size() + file_bytes, start);
}
// ANCHOR_END: send_response

// ANCHOR: flush
// Sends what the socket takes of the write queue. False: the client is gone.
bool flush(ClientConnection& client) {
    while (client.unsent_bytes() > 0) {
        const bool more_file = client.unsent_file.length > 0;
        const bool file_next = client.unsent.empty() || (client.tls && more_file && client.unsent.size() < kFileChunk);
        const std::optional<std::size_t> n =
            file_next ? send_file_part(client) : send_bytes(client, client.unsent, /*more=*/more_file);
        if (!n) return true;  // full: the loop waits until it is writable
        if (*n == 0) return false;
        if (!file_next) client.unsent.erase(0, *n);
    }
    // A queue that grew for one big response is given back, so that ten
    // thousand quiet connections do not each keep their largest.
    if (client.unsent.capacity() > kMaxUnsentBytes) std::string().swap(client.unsent);
    return true;
}
// ANCHOR_END: flush

// Queues the response to `request`. After the last one the connection
// closes: at once if the client said close, else the careful way (we are
// stopping, and it may be sending more).
void answer(ClientConnection& client, const HttpRequest& request, HttpResponse& response,
            Clock::time_point start, const StopSignal& stop) {
    const bool client_said_close = !client_wants_keep_alive(request);
    const bool keep_alive = !client_said_close && !stop.requested();
    send_response(client, request, response, keep_alive, start);
    if (!keep_alive) client.closing = client_said_close ? Closing::AfterLastResponse : Closing::Gracefully;
}

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

// ANCHOR: serve_connection
ServeResult serve_connection(ClientConnection& client, const Handler& handler, const StopSignal& stop,
                             const ConnectionOptions& options) {
    RequestParser& parser = client.parser;
    char buffer[16 * 1024];
    bool partial_record = false;  // TLS: OpenSSL holds part of a record and needs the rest
    bool has_read = false;        // one read per call: level-triggered epoll says if more waits

    // ANCHOR: handshake
    // A new TLS connection starts with the handshake. It goes step by step
    // as bytes arrive, so a client that stalls its handshake costs an idle
    // entry in epoll, not a thread.
    if (options.tls_context != nullptr && !client.tls_ready && client.closing == Closing::No) {
        if (!client.tls) {
            client.tls = tls_start(options.tls_context, client.socket.get());
            if (!client.tls) return ServeResult::Closed;
            client.waiting_for = WaitingFor::MoreBytes;
        }
        const HandshakeStep step = tls_handshake_step(client.tls.get());
        if (!step.done && step.error.empty()) {
            if (client.timed_out || stop.requested()) {
                log_line(client.peer + " TLS handshake failed: " +
                         (stop.requested() ? "the server is stopping" : "it took too long"));
                return ServeResult::Closed;
            }
            return step.want_write ? ServeResult::WaitWrite : ServeResult::WaitRead;
        }
        if (!step.error.empty()) {
            log_line(client.peer + " TLS handshake failed: " + step.error);
            if (!step.plain_http) return ServeResult::Closed;
            // Plain HTTP sent to the HTTPS port: say so in plain HTTP.
            // Without a session, send_bytes writes to the socket.
            client.tls.reset();
            HttpResponse response = HttpResponse::error(400, "this port speaks HTTPS: use https:// URLs");
            send_response(client, HttpRequest{}, response, /*keep_alive=*/false, Clock::now());
            client.closing = Closing::Gracefully;
        }
        client.tls_ready = step.done;
    }
    // ANCHOR_END: handshake

    // A request whose handler blocked is back from the pool, answered.
    if (client.blocking) {
        answer(client, client.blocking->request, client.blocking->response, client.blocking->start, stop);
        client.blocking.reset();
    }

    while (true) {
        // What the client has not taken yet leaves first (a timeout now is
        // the send timeout: it does not read).
        if (!flush(client)) return ServeResult::Closed;
        if (client.timed_out && client.unsent_bytes() > 0) return ServeResult::Closed;
        if (client.waiting_for == WaitingFor::ClientClose) {
            // Closing the careful way: discard what still comes, until the
            // client closes too (at most a megabyte a turn).
            for (std::size_t discarded = 0; discarded < 1024 * 1024 && !client.timed_out;) {
                const std::optional<std::size_t> n = read_some(client.socket.get(), buffer, sizeof buffer);
                if (!n) return ServeResult::WaitRead;
                if (*n == 0) break;  // the client has closed its side too
                discarded += *n;
            }
            return ServeResult::Closed;
        }
        // The last response is queued: once it has left, close.
        if (client.closing != Closing::No) {
            if (client.unsent_bytes() > 0) return ServeResult::WaitWrite;
            if (client.closing == Closing::AfterLastResponse) close_after_last_response(client);
            else close_gracefully(client);
            if (client.waiting_for != WaitingFor::ClientClose) return ServeResult::Closed;
            continue;
        }
        // Back-pressure: no more requests while the client owes us reading,
        // or a file (nothing queues behind one). Its bytes wait in the
        // kernel, then its own send() waits (TCP flow control).
        if (client.unsent.size() > kMaxUnsentBytes || client.unsent_file.length > 0) {
            return ServeResult::WaitWrite;
        }

        // Parse what we have before reading more: with pipelining, the next
        // request may already be in `unparsed`.
        client.unparsed.erase(0, parser.feed(client.unparsed));

        if (parser.failed()) {
            // After a malformed request we cannot know where the next one
            // starts, so the only safe thing is to answer and close. What was
            // parsed goes along: the answer to a HEAD has no body either.
            HttpResponse response = HttpResponse::error(parser.error_status(), parser.error());
            send_response(client, parser.request(), response, /*keep_alive=*/false, Clock::now());
            client.closing = Closing::Gracefully;
            continue;
        }

        if (parser.complete()) {
            const auto start = Clock::now();
            HttpRequest request = parser.take_request();
            request.client = client.peer;
            client.continue_sent = false;
            ++client.requests;
            if (options.blocks(request)) {
                client.blocking = BlockingRequest{std::move(request), {}, start};
                return ServeResult::Blocking;  // the loop runs its handler on the pool
            }
            HttpResponse response = call_handler(handler, request, client.peer);
            answer(client, request, response, start, stop);
            continue;
        }

        // "Expect: 100-continue": the client holds its body back until we
        // say go on (RFC 9110 section 10.1.1), so a big upload that we would
        // refuse anyway (413) is never sent.
        if (parser.waiting_for_body_after_continue() && !client.continue_sent) {
            client.unsent += "HTTP/1.1 100 Continue\r\n\r\n";
            client.continue_sent = true;
            continue;
        }

        // The parser needs more bytes. OpenSSL may hold bytes that the socket
        // no longer shows: records it read ahead, or the rest of a record
        // that carried two requests. epoll cannot see those: read them now,
        // unless OpenSSL has just said that what it holds is only part of a record.
        const bool buffered = client.tls && SSL_has_pending(client.tls.get()) == 1 && !partial_record;
        if (!buffered && (has_read || client.timed_out || stop.requested())) {
            client.waiting_for = parser.started() ? WaitingFor::MoreBytes : WaitingFor::NextRequest;
            if (!client.timed_out && !stop.requested()) return ServeResult::WaitRead;
            if (parser.started() && client.timed_out) {
                HttpResponse response = HttpResponse::error(408, "the request did not arrive in time");
                send_response(client, parser.request(), response, /*keep_alive=*/false, Clock::now());
                client.closing = Closing::Gracefully;
                continue;
            }
            if (client.unsent_bytes() > 0) return ServeResult::WaitWrite;  // stopping: send it first
            // A connection that sent nothing has no request to answer: we
            // close it quietly (RFC 9112 section 9.5 lets either side close
            // an idle connection).
            if (client.tls) tls_close(client.tls.get());
            return ServeResult::Closed;
        }
        has_read = true;
        const std::optional<std::size_t> n = receive_bytes(client, buffer, sizeof buffer);
        partial_record = !n;
        if (!n) continue;  // nothing yet, or (TLS) only part of a record so far
        // The client has closed its side: answer what it sent, then close.
        if (*n == 0) client.closing = Closing::AfterLastResponse;
        client.unparsed.append(buffer, *n);
    }
}
// ANCHOR_END: serve_connection
