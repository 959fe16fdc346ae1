#include "https_redirect.hpp"

// ANCHOR: redirect_to_https
HttpResponse redirect_to_https(const HttpRequest& request, const std::string& host,
                               std::uint16_t https_port) {
    // Our own name, never the client's Host header: whatever name a client
    // sends would become a redirect to that site, and a cache on the way
    // could serve it to other visitors. An IPv6 address takes brackets in a
    // URL (RFC 3986 section 3.2.2).
    std::string location = "https://" + (host.find(':') == std::string::npos ? host : "[" + host + "]");
    if (https_port != 443) location += ":" + std::to_string(https_port);
    location += request.path;
    if (!request.query.empty()) location += "?" + request.query;

    HttpResponse response = HttpResponse::text(308, "This site is served over HTTPS: " + location + "\n");
    response.headers.add("Location", location);
    return response;
}
// ANCHOR_END: redirect_to_https
