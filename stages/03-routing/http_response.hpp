// HttpResponse: what a handler answers, and how it goes on the wire.
#pragma once

#include <string>
#include <string_view>

#include "http_request.hpp"

struct HttpResponse {
    int status = 200;
    Headers headers;
    std::string body;

    // A response with a plain-text body.
    static HttpResponse text(int status, std::string body);

    // The bytes on the wire: status line, header fields, an empty line, the
    // body. Content-Length is added here, from the body, so that it can
    // never disagree with it.
    std::string serialize() const;
};

// "OK" for 200, "Bad Request" for 400: the reason phrase of a status line.
std::string_view reason_phrase(int status);
