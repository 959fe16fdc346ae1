// HttpResponse: what a handler answers, and how it goes on the wire.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fd.hpp"
#include "http_request.hpp"

// A body left in a file, `length` bytes from `offset`: the connection sends
// it from there, never reading a large file into memory. Copies of a
// response share the open file; the last one closes it.
struct FileBody {
    std::shared_ptr<const Fd> fd;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct HttpResponse {
    int status = 200;
    Headers headers;
    std::string body;
    std::optional<FileBody> file;  // when set, the content is these bytes, and `body` is empty
    // A 1xx informational response to send before this one (0: none), as
    // GET /status/103 does to show that 1xx codes are never the final answer.
    int informational = 0;

    // A response with a plain-text body.
    static HttpResponse text(int status, std::string body);

    // The one way to fail a request: the status and a short plain-text body
    // saying what was wrong, e.g. "404 Not Found: nothing here answers GET /x".
    static HttpResponse error(int status, std::string_view detail);

    // The bytes on the wire: status line, header fields, an empty line, the
    // body (a file follows apart). Content-Length is added here, from the
    // body, so that it can never disagree with it. For HEAD, `include_body`
    // is false: the same headers as for GET, Content-Length included, but
    // no body (RFC 9110 section 9.3.2).
    std::string serialize(bool include_body = true) const;
};
