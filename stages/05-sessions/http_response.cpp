#include "http_response.hpp"

#include "status_codes.hpp"

HttpResponse HttpResponse::text(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.headers.add("Content-Type", "text/plain; charset=utf-8");
    response.body = std::move(body);
    return response;
}

HttpResponse HttpResponse::error(int status, std::string_view detail) {
    return text(status, std::to_string(status) + " " + std::string(reason_phrase(status)) + ": " +
                            std::string(detail) + "\n");
}

// ANCHOR: serialize
std::string HttpResponse::serialize(bool include_body) const {
    std::string out;
    out.reserve(256 + (include_body ? body.size() : 0));  // one allocation, not one per line
    if (informational != 0) {
        // An interim response is a status line and an empty line; the final
        // response follows on the same connection (RFC 9110 section 15.2).
        out = "HTTP/1.1 " + std::to_string(informational) + " " +
              std::string(reason_phrase(informational)) + "\r\n\r\n";
    }
    // We answer as HTTP/1.1 even to HTTP/1.0 clients: a server sends the
    // highest version it supports (RFC 9110 section 6.2).
    out += "HTTP/1.1 " + std::to_string(status) + " ";
    out += reason_phrase(status);
    out += "\r\n";
    for (const auto& [name, value] : headers) out.append(name).append(": ").append(value).append("\r\n");
    // 1xx, 204 and 304 responses never have content, and 1xx and 204 must
    // not even carry a Content-Length (RFC 9110 sections 6.4.1 and 8.6).
    const bool has_content = status >= 200 && status != 204 && status != 304;
    const std::uint64_t length = file ? file->length : body.size();
    if (has_content) out += "Content-Length: " + std::to_string(length) + "\r\n";
    out += "\r\n";
    if (has_content && include_body) out += body;
    return out;
}
// ANCHOR_END: serialize
