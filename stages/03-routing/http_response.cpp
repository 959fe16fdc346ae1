#include "http_response.hpp"

HttpResponse HttpResponse::text(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.headers.add("Content-Type", "text/plain; charset=utf-8");
    response.body = std::move(body);
    return response;
}

// ANCHOR: serialize
std::string HttpResponse::serialize() const {
    // We answer as HTTP/1.1 even to HTTP/1.0 clients: a server sends the
    // highest version it supports (RFC 9110 section 6.2).
    std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
    out += reason_phrase(status);
    out += "\r\n";
    for (const auto& [name, value] : headers) out.append(name).append(": ").append(value).append("\r\n");
    const std::uint64_t length = file ? file->length : body.size();
    out += "Content-Length: " + std::to_string(length) + "\r\n";
    out += "\r\n";
    out += body;
    return out;
}
// ANCHOR_END: serialize

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 301: return "Moved Permanently";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        default: return "Unknown";
    }
}
