#include "https_redirect.hpp"

// ANCHOR: redirect_to_https
HttpResponse redirect_to_https(const HttpRequest& request, const std::string& fallback_host,
                               std::uint16_t https_port) {
    // The Host header says which name the client used ("localhost:8080");
    // keep the name, change the port. "[::1]:8080" keeps its brackets.
    std::string host(request.headers.get("Host"));
    const std::size_t port_colon = host.rfind(':');
    if (port_colon != std::string::npos && host.find(']', port_colon) == std::string::npos) {
        host.resize(port_colon);
    }
    if (host.empty()) host = fallback_host;  // HTTP/1.0 may send no Host

    std::string location = "https://" + host;
    if (https_port != 443) location += ":" + std::to_string(https_port);
    location += request.path;
    if (!request.query.empty()) location += "?" + request.query;

    HttpResponse response = HttpResponse::text(308, "This site is served over HTTPS: " + location + "\n");
    response.headers.add("Location", location);
    return response;
}
// ANCHOR_END: redirect_to_https
