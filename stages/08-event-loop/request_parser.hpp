// RequestParser: turns a stream of bytes into HTTP requests (RFC 9112).
//
// TCP delivers a stream, not messages: one read() may return half a request
// line, or two whole requests and the start of a third. So the parser is a
// state machine that is fed whatever arrived and remembers where it was:
//
//     RequestLine -> Headers -> (Body | ChunkSize <-> ChunkData -> Trailers) -> Complete
//
// feed() consumes bytes until a request is complete (or broken) and returns
// how many it used; the rest belongs to the next, pipelined, request.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "http_request.hpp"

// Limits protect the server from clients that send without end. Each is a
// named constant with its reason, as in Go's net/http.
struct ParserLimits {
    // RFC 9112 section 3: servers ought to accept request lines of at least
    // 8000 octets; longer lines are rare and mostly attacks.
    std::size_t max_request_line = 8 * 1024;
    // The whole header section, and how many fields it may have. Real
    // browsers send well under 2 KiB; 8 KiB matches common servers.
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_header_count = 100;
    // Bodies are kept in memory, so they must be bounded.
    std::size_t max_body_bytes = 1024 * 1024;
    // A chunk-size line is a hex number plus optional extensions.
    std::size_t max_chunk_line = 1024;
};

class RequestParser {
public:
    explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

    std::size_t feed(std::string_view data);

    bool complete() const { return state_ == State::Complete; }
    bool failed() const { return state_ == State::Failed; }
    // Why the request failed, for the error response: "no Host header".
    const std::string& error() const { return error_; }
    // The status code that says it best: 400 for malformed input, 414 for a
    // request line that is too long, 431, 413, 417, 501, 505.
    int error_status() const { return error_status_; }
    // True once any byte of a request has arrived (blank lines aside).
    bool started() const { return state_ != State::RequestLine || !line_.empty(); }
    // True while the body of a request that sent "Expect: 100-continue" is
    // still to come: the client waits for "100 Continue" before sending it.
    bool waiting_for_body_after_continue() const {
        return expects_continue_ && state_ != State::RequestLine && state_ != State::Headers &&
               state_ != State::Complete && state_ != State::Failed;
    }

    // Hands over the complete request and gets ready for the next one.
    HttpRequest take_request();
    // The request so far; after a failure, what was parsed before it.
    const HttpRequest& request() const { return request_; }

private:
    enum class State {
        RequestLine,   // "GET /path HTTP/1.1"
        Headers,       // "Name: value" lines until an empty line
        Body,          // Content-Length bytes
        ChunkSize,     // "1a;ext=1" (hex), then that many bytes
        ChunkData,
        ChunkDataEnd,  // the CRLF after each chunk's data
        Trailers,      // fields after the last chunk, until an empty line
        Complete,
        Failed,
    };

    std::size_t line_limit() const;
    void handle_line(std::string_view line);
    void parse_request_line(std::string_view line);
    void parse_header_line(std::string_view line, bool trailer);
    void finish_head();
    void parse_chunk_size(std::string_view line);
    void fail(std::string reason, int status = 400);

    ParserLimits limits_;
    State state_ = State::RequestLine;
    HttpRequest request_;
    std::string line_;              // the line being collected, up to its '\n'
    std::size_t header_bytes_ = 0;  // header section size so far
    std::size_t header_count_ = 0;  // fields (and trailer fields) so far
    std::size_t body_left_ = 0;     // bytes still to read in Body or ChunkData
    std::string error_;
    int error_status_ = 400;
    bool expects_continue_ = false;
};
