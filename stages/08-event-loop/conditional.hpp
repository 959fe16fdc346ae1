// Conditional and range requests (RFC 9110 sections 13 and 14): 304 when
// the client's copy is current, 412 when the file is not the one it named,
// 206 for a part of it (to resume a download), 416 for a part past the end.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "http_request.hpp"
#include "http_response.hpp"

// Turns `full`, the 200 answer to a GET or HEAD with its file body and its
// ETag and Last-Modified, into the answer the request's conditions and
// Range ask for: 304, 412, 206, 416, or `full` itself.
HttpResponse answer_conditionally(const HttpRequest& request, HttpResponse full);

// The one range "bytes=first-last", "bytes=first-" or "bytes=-suffix" of a
// `size`-byte file. Nothing when the field is to be ignored (bad syntax,
// another unit, several ranges: the whole file is sent); a range of length
// 0 when it cannot be satisfied (416).
struct ByteRange {
    std::uint64_t first = 0, length = 0;
};
std::optional<ByteRange> parse_range(std::string_view field, std::uint64_t size);
