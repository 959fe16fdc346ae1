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

    // A response with a plain-text body.
    static HttpResponse text(int status, std::string body);

    // The bytes on the wire: status line, header fields, an empty line, the
    // body (a file follows apart). Content-Length is added here, from the
    // body, so that it can never disagree with it.
    std::string serialize() const;
};

// "OK" for 200, "Bad Request" for 400: the reason phrase of a status line.
std::string_view reason_phrase(int status);
