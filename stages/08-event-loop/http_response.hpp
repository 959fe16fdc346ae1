// HttpResponse: what a handler answers, and how it goes on the wire.
#pragma once

#include <string>
#include <string_view>

#include "http_request.hpp"

struct HttpResponse {
    int status = 200;
    Headers headers;
    std::string body;
    // A 1xx informational response to send before this one (0: none), as
    // GET /status/103 does to show that 1xx codes are never the final answer.
    int informational = 0;

    // A response with a plain-text body.
    static HttpResponse text(int status, std::string body);

    // The one way to fail a request: the status and a short plain-text body
    // saying what was wrong, e.g. "404 Not Found: nothing here answers GET /x".
    static HttpResponse error(int status, std::string_view detail);

    // The bytes on the wire: status line, header fields, an empty line, the
    // body. Content-Length is added here, from the body, so that it can
    // never disagree with it. For HEAD, `include_body` is false: the same
    // headers as for GET, Content-Length included, but no body (RFC 9110
    // section 9.3.2).
    std::string serialize(bool include_body = true) const;
};
