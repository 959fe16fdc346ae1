#include "describe_request.hpp"

HttpResponse describe_request(const HttpRequest& request) {
    std::string text;
    text += "method: " + request.method + "\n";
    text += "target: " + request.target + "\n";
    text += "path: " + request.path + "\n";
    text += "query: " + request.query + "\n";
    text += "version: " + request.version + "\n";
    text += "headers:\n";
    for (const auto& [name, value] : request.headers) {
        // Values may hold bytes >= 0x80; show them escaped, not raw.
        text += "  " + name + ": " + escape_bytes(value) + "\n";
    }
    text += "body length: " + std::to_string(request.body.size()) + "\n";
    return HttpResponse::text(200, text);
}
