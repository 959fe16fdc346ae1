#include "connection.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>

#include "log.hpp"
#include "server.hpp"
#include "socket_io.hpp"
#include "tls.hpp"

namespace {

// ANCHOR: back_pressure
// Back-pressure: once this much output waits for a client, we stop reading
// its requests until it has taken some. Pipelined requests are still
// answered in order, and a client that sends requests but never reads the
// answers costs at most this (plus one response) until the send timeout
// closes it. Large enough for a burst of pipelined responses.
constexpr std::size_t kMaxUnsentBytes = 256 * 1024;
// ANCHOR_END: back_pressure
// A buffer that grew for one big message is given back once empty, so
// that ten thousand quiet connections do not each keep their largest.
constexpr std::size_t kKeptBufferBytes = 16 * 1024;
// Lingering (see linger) reads and discards at most this much.
constexpr std::size_t kMaxDiscardedBytes = 1024 * 1024;

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

using Clock = std::chrono::steady_clock;

void log_request(const std::string& peer, const HttpRequest& request, int status,
                 std::size_t bytes, Clock::time_point start) {
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

// ANCHOR: http_date
// The Date header in IMF-fixdate, the one format HTTP senders use (RFC 9110
// section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT". Always GMT and always
// English names, so we do not use the locale-dependent strftime. It changes
// once a second, so each thread formats it once a second, not per response.
const std::string& http_date() {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    thread_local std::time_t formatted_at = -1;
    thread_local std::string text;
    const std::time_t now = std::time(nullptr);
    if (now == formatted_at) return text;
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday],
                  utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                  utc.tm_sec);
    formatted_at = now;
    text = buffer;
    return text;
}
// ANCHOR_END: http_date

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

// Bytes for the client go through TLS when the connection has a session,
// straight to the socket otherwise. Nothing above these knows which.
IoResult send_bytes(SSL* tls, int fd, std::string_view bytes) {
    return tls != nullptr ? tls_write_some(tls, bytes) : write_some(fd, bytes);
}

IoResult receive_bytes(SSL* tls, int fd, std::span<char> buffer) {
    return tls != nullptr ? tls_read_some(tls, buffer.data(), buffer.size())
                          : read_some(fd, buffer.data(), buffer.size());
}

}  // namespace

Connection::Connection(Server& server, const ConnectionOptions& options, Fd socket, std::string peer)
    : server_(server),
      options_(options),
      socket_(std::move(socket)),
      peer_(std::move(peer)),
      timer_([this] { on_timeout(); }) {}

// ANCHOR: start
void Connection::start() {
    if (options_.tls_context != nullptr) {
        tls_ = tls_start(options_.tls_context, socket_.get());
        if (!tls_) return close();
        state_ = State::Handshake;
    }
    events_ = EPOLLIN | EPOLLRDHUP;
    server_.loop().watch(socket_.get(), events_, *this);
    // The request (or ClientHello) is usually here already: TCP_DEFER_ACCEPT
    // woke accept() only once bytes had arrived. Read it now, not a turn later.
    advance();
}
// ANCHOR_END: start

// ANCHOR: on_ready
void Connection::on_ready(std::uint32_t events) {
    if (state_ == State::Closed) return;  // closed earlier in this turn
    // A reset, or both directions shut: nothing we send can arrive.
    if ((events & (EPOLLERR | EPOLLHUP)) != 0) return close();
    advance();
}

// Takes the connection as far as it can go now, without waiting: the
// handshake, then requests in and responses out, until the socket or the
// pool has to be waited for. Then tells epoll what that is.
void Connection::advance() {
    tls_wants_write_ = false;
    if (state_ == State::Handshake) handshake();
    if (state_ == State::Lingering) {
        linger();
    } else if (state_ == State::Open || state_ == State::Draining) {
        handle_requests();
        flush();
        // One read per event is enough: epoll is level-triggered and says
        // again if more is waiting. But bytes that OpenSSL has already
        // taken from the socket (read-ahead) are invisible to epoll: read
        // on while it holds a whole record (SSL_has_pending).
        for (bool first = true; reading() && (first || (tls_ && SSL_has_pending(tls_.get()) == 1)); first = false) {
            if (!receive_input()) break;
            handle_requests();
            flush();
        }
        const bool quiet = !on_pool_ && sent_ == unsent_.size();
        if (quiet && state_ == State::Draining) {
            close_after_output();
        } else if (quiet && state_ == State::Open && (client_done_ || server_.stopping())) {
            close();  // the client has said all it will, or we are stopping: nothing is in flight
        }
    }
    update();
}
// ANCHOR_END: on_ready

// ANCHOR: handshake
void Connection::handshake() {
    const HandshakeStep step = tls_handshake_step(tls_.get());
    tls_wants_write_ = step.want_write;
    if (step.done) {
        state_ = State::Open;
        timer_.cancel();  // the handshake's deadline is not the first request's
        return;
    }
    if (step.error.empty()) return;  // more bytes needed: epoll will say when
    log_line(peer_ + " TLS handshake failed: " + step.error);
    if (!step.plain_http) return close();
    // Plain HTTP sent to the HTTPS port: say so in plain HTTP.
    tls_.reset();
    state_ = State::Open;
    must_linger_ = true;
    HttpResponse response = HttpResponse::error(400, "this port speaks HTTPS: use https:// URLs");
    queue_response(HttpRequest{}, response, Clock::now());
}
// ANCHOR_END: handshake

// ANCHOR: receive_input
// Reads once. False when nothing came: not yet, or never again.
bool Connection::receive_input() {
    const std::span<char> buffer = server_.read_buffer();
    const IoResult got = receive_bytes(tls_.get(), socket_.get(), buffer);
    if (got.status == IoResult::Done) {
        unparsed_.append(buffer.data(), got.bytes);
        return true;
    }
    tls_wants_write_ = got.status == IoResult::WantWrite;
    if (got.status == IoResult::Closed) client_done_ = true;  // its last requests still get answers
    return false;
}
// ANCHOR_END: receive_input

// ANCHOR: handle_requests
// Answers the complete requests in unparsed_, in order, as long as the
// answers may be queued: not while one is on the pool (the next answer must
// wait for it), not past the back-pressure bound.
void Connection::handle_requests() {
    while (state_ == State::Open && !on_pool_ && unsent_.size() - sent_ < kMaxUnsentBytes) {
        // Parse what we have: with pipelining, several requests may be here.
        unparsed_.erase(0, parser_.feed(unparsed_));

        if (parser_.failed()) {
            // After a malformed request we cannot know where the next one
            // starts, so the only safe thing is to answer and close.
            HttpResponse response = HttpResponse::error(parser_.error_status(), parser_.error());
            must_linger_ = true;
            queue_response(HttpRequest{}, response, Clock::now());
            return;
        }
        if (!parser_.complete()) {
            // "Expect: 100-continue": the client holds its body back until we
            // say go on (RFC 9110 section 10.1.1), so a big upload that we
            // would refuse anyway (413) is never sent.
            if (parser_.waiting_for_body_after_continue() && !continue_sent_) {
                unsent_ += "HTTP/1.1 100 Continue\r\n\r\n";
                continue_sent_ = true;
            }
            return;
        }
        const auto start = Clock::now();
        HttpRequest request = parser_.take_request();
        request.client = peer_;
        continue_sent_ = false;
        timer_.cancel();  // the next request gets a deadline of its own
        if (options_.blocks(request)) return run_on_pool(std::move(request), start);
        HttpResponse response = call_handler(options_.handler, request, peer_);
        queue_response(request, response, start);
    }
}
// ANCHOR_END: handle_requests

// ANCHOR: run_on_pool
// A handler that blocks runs on a worker of the pool. The loop goes on
// serving other connections; this one waits (reading no further requests,
// whose answers must come after this one) until the worker posts the
// response back to the loop. The connection outlives the job: it is
// destroyed only once on_pool_ is false again.
void Connection::run_on_pool(HttpRequest request, Clock::time_point start) {
    struct Job {
        HttpRequest request;
        HttpResponse response;
    };
    auto job = std::make_shared<Job>(Job{std::move(request), {}});
    ThreadPool::Job work = [this, job, start] {
        job->response = call_handler(options_.handler, job->request, peer_);  // on a worker
        server_.loop().post([this, job, start] {                              // back on the loop
            on_pool_ = false;
            if (state_ == State::Closed) return server_.release(*this);  // the client left meanwhile
            queue_response(job->request, job->response, start);
            advance();
        });
    };
    on_pool_ = true;
    if (server_.pool().try_submit(work)) return;
    on_pool_ = false;
    HttpResponse busy = HttpResponse::error(503, "every worker is busy; try again in a moment");
    // Retry-After tells a well-behaved client when to come back (RFC 9110 section 10.2.3).
    busy.headers.add("Retry-After", "1");
    queue_response(job->request, busy, start);
}
// ANCHOR_END: run_on_pool

// ANCHOR: queue_response
// The one way a response leaves, error or not: Date, Server and Connection
// are added here, the bytes join the write queue, and the log gets a line.
// flush() sends them: several pipelined responses leave in one write.
void Connection::queue_response(const HttpRequest& request, HttpResponse& response,
                                Clock::time_point start) {
    const bool keep_alive = client_wants_keep_alive(request) && !must_linger_ && !server_.stopping();
    response.headers.add("Date", http_date());
    response.headers.add("Server", "course-server");
    if (tls_) {
        // HSTS (RFC 6797): "for a year, reach this host over HTTPS only",
        // so a browser never again tries plain http:// where an attacker
        // could answer. Sent only over TLS, as section 7.2 requires.
        response.headers.add("Strict-Transport-Security", "max-age=31536000");
    }
    if (!keep_alive) {
        response.headers.add("Connection", "close");
        state_ = State::Draining;
        // Unless the client itself said close, it may still be sending.
        must_linger_ = must_linger_ || client_wants_keep_alive(request);
    } else if (request.version == "HTTP/1.0") {
        response.headers.add("Connection", "keep-alive");  // 1.0 needs telling
    }
    std::string bytes = response.serialize(/*include_body=*/request.method != "HEAD");
    log_request(peer_, request, response.status, bytes.size(), start);
    if (unsent_.empty()) unsent_ = std::move(bytes);  // the usual case: no copy
    else unsent_ += bytes;
}
// ANCHOR_END: queue_response

// ANCHOR: flush
// Sends what the socket takes now. The rest waits in unsent_ for EPOLLOUT.
void Connection::flush() {
    bool progress = false;
    while (sent_ < unsent_.size()) {
        const IoResult put = send_bytes(tls_.get(), socket_.get(), std::string_view(unsent_).substr(sent_));
        if (put.status == IoResult::Closed) return close();  // the client is gone
        if (put.status != IoResult::Done) break;             // full: wait until it is writable
        sent_ += put.bytes;
        progress = true;
    }
    if (sent_ == unsent_.size()) {
        sent_ = 0;
        unsent_.clear();
        if (unsent_.capacity() > kKeptBufferBytes) std::string().swap(unsent_);
    } else if (progress) {
        // The client is taking our bytes: its send timeout starts again.
        server_.send_timers().arm(timer_, server_.loop().now());
    }
}
// ANCHOR_END: flush

// ANCHOR: reading
// Whether to read more requests now. Not while a request is on the pool,
// nor while the client has not taken what we owe it: that is
// back-pressure. Unread bytes then wait in the kernel's buffer, whose
// fullness makes the client's own send() wait (TCP flow control).
bool Connection::reading() const {
    return state_ == State::Open && !client_done_ && !on_pool_ && unsent_.size() - sent_ < kMaxUnsentBytes;
}
// ANCHOR_END: reading

// ANCHOR: close_after_output
// The last response has left. After the client's own "Connection: close"
// there is usually nothing to wait for: it has promised to send no more
// requests (RFC 9112 section 9.6). If none of its bytes is unread, close()
// is safe at once. recv() with MSG_PEEK | MSG_DONTWAIT looks without
// taking or waiting (recv(2)): 0, the client has closed too; a byte,
// something unread: then the careful way.
void Connection::close_after_output() {
    char byte = 0;
    const bool unread = !unparsed_.empty() || (tls_ && SSL_has_pending(tls_.get()) == 1) ||
                        ::recv(socket_.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    if (!must_linger_ && !unread) return close();
    // Closing the careful way (RFC 9112 section 9.6). If we close() while
    // the client's bytes are still unread in our receive buffer, the kernel
    // answers with a TCP reset, and a reset can destroy the response we
    // just sent before the client has read it. So: first stop sending
    // (over TLS with close_notify, then shutdown SHUT_WR sends FIN after our
    // response), then read and discard what the client still sends until it
    // closes too, for a second at most.
    if (tls_) tls_close(tls_.get());
    ::shutdown(socket_.get(), SHUT_WR);
    state_ = State::Lingering;
    server_.linger_timers().arm(timer_, server_.loop().now());
    linger();
}

void Connection::linger() {
    while (discarded_ < kMaxDiscardedBytes) {
        const std::span<char> buffer = server_.read_buffer();
        const IoResult got = read_some(socket_.get(), buffer.data(), buffer.size());
        if (got.status == IoResult::WantRead) return;  // epoll will say when more comes
        if (got.status != IoResult::Done) break;       // the client has closed too
        discarded_ += got.bytes;
    }
    close();
}
// ANCHOR_END: close_after_output

// ANCHOR: close
// The socket itself is closed when the server destroys the connection, at
// the end of the turn (after the turn's log lines are written), or once the
// pool is done with it.
void Connection::close() {
    if (state_ == State::Closed) return;
    // Over TLS, say goodbye in TLS (close_notify), unless done already.
    if (tls_ && state_ != State::Lingering && SSL_is_init_finished(tls_.get())) tls_close(tls_.get());
    timer_.cancel();
    state_ = State::Closed;
    server_.closed(*this);
    if (!on_pool_) return server_.release(*this);
    server_.loop().forget(socket_.get());  // no more events until the job is back
}
// ANCHOR_END: close

// ANCHOR: on_timeout
void Connection::on_timeout() {
    if (state_ == State::Handshake) log_line(peer_ + " TLS handshake failed: it took too long");
    if (state_ == State::Open && sent_ == unsent_.size() && parser_.started()) {
        HttpResponse response = HttpResponse::error(408, "the request did not arrive in time");
        must_linger_ = true;
        queue_response(HttpRequest{}, response, Clock::now());
        return advance();
    }
    // A quiet connection has no request to answer: we close it quietly
    // (RFC 9112 section 9.5 lets either side close an idle connection). A
    // client that does not take its responses, or does not finish a
    // handshake, or a lingering close that took too long: the same.
    close();
}

void Connection::stop() {
    if (state_ == State::Handshake) log_line(peer_ + " TLS handshake failed: the server is stopping");
    if (state_ == State::Handshake || (state_ == State::Open && !on_pool_ && sent_ == unsent_.size())) {
        close();  // nothing in flight: a request that has begun is not answered (stage 6)
    }
}
// ANCHOR_END: on_timeout

// ANCHOR: update
// Tells epoll what to wait for, and picks the one timeout that applies,
// from where the connection stands. epoll_ctl runs only when that changes:
// on a keep-alive connection whose responses fit the socket, never.
void Connection::update() {
    if (state_ == State::Closed) return;
    const bool in = reading() || state_ == State::Lingering || (state_ == State::Handshake && !tls_wants_write_);
    const bool out = sent_ < unsent_.size() || tls_wants_write_;
    std::uint32_t events = 0;
    if (in) events |= EPOLLIN | EPOLLRDHUP;
    if (out) events |= EPOLLOUT;
    if (events != events_) server_.loop().change(socket_.get(), events, *this);
    events_ = events;

    TimerList* timeout = nullptr;  // none while the pool has our request: that is our time, not the client's
    if (state_ == State::Lingering) timeout = &server_.linger_timers();
    else if (sent_ < unsent_.size()) timeout = &server_.send_timers();
    else if (state_ == State::Handshake || (state_ == State::Open && parser_.started())) timeout = &server_.request_timers();
    else if (state_ == State::Open && !on_pool_) timeout = &server_.idle_timers();
    if (timeout == nullptr) timer_.cancel();
    else if (timer_.list() != timeout) timeout->arm(timer_, server_.loop().now());
}
// ANCHOR_END: update
