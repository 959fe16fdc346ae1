#include "routes.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "status_codes.hpp"
#include "url.hpp"

// ANCHOR: registry
std::vector<RouteEntry>& registered_routes() {
    // A function-local static is built on first use. A plain global vector
    // might not be built yet when another file's add_route runs: C++ does
    // not order the start-up of globals across files.
    static std::vector<RouteEntry> routes;
    return routes;
}

add_route::add_route(std::vector<std::string> methods, std::string pattern, RouteHandler handler) {
    registered_routes().push_back({std::move(methods), std::move(pattern), std::move(handler)});
}

void register_routes(Router& router) {
    for (const RouteEntry& route : registered_routes()) {
        router.add(route.methods, route.pattern, route.handler);
    }
}
// ANCHOR_END: registry

namespace {

// ANCHOR: say_hello
// GET /hello/{name}?greeting=Hi -> "Hi, name!"
HttpResponse say_hello(const HttpRequest& request) {
    const std::optional<QueryParams> query = QueryParams::parse(request.query);
    if (!query) return HttpResponse::text(400, "Bad Request: bad percent-encoding in the query\n");
    const std::string greeting = query->get("greeting", "Hello");
    return HttpResponse::text(200, greeting + ", " + request.path_params.at("name") + "!\n");
}
const add_route say_hello_route({"GET"}, "/hello/{name}", say_hello);
// ANCHOR_END: say_hello

// ANCHOR: status
// GET /status/{code}: a response with that status, to see each class
// behave in curl and in a browser.
HttpResponse status_page(const HttpRequest& request) {
    const auto code = parse_decimal(request.path_params.at("code"));
    if (!code || *code > 999) return HttpResponse::error(400, "the status code must be a number");
    const int status = static_cast<int>(*code);
    if (reason_phrase(status).empty()) return HttpResponse::error(404, "no status " + std::to_string(status) + " in the table");
    if (status == 101) {
        // 101 switches the connection to another protocol named in an
        // Upgrade header; it cannot be sent as a demonstration.
        return HttpResponse::error(400, "101 Switching Protocols only answers an Upgrade request");
    }

    const std::string line = std::to_string(status) + " " + std::string(reason_phrase(status));
    if (status < 200) {
        // A 1xx is never the final answer: send it, then a 200.
        HttpResponse response = HttpResponse::text(200, "The " + line + " before this response was informational.\n");
        response.informational = status;
        return response;
    }
    HttpResponse response = HttpResponse::text(status, line + "\n");
    // Some codes promise a header that says more (RFC 9110 section 15).
    if (status >= 300 && status < 400) response.headers.add("Location", "/");
    if (status == 401) response.headers.add("WWW-Authenticate", "Bearer realm=\"course\"");
    if (status == 405) response.headers.add("Allow", "GET, HEAD, OPTIONS");
    if (status == 407) response.headers.add("Proxy-Authenticate", "Bearer realm=\"course\"");
    if (status == 426) response.headers.add("Upgrade", "HTTP/2.0");
    if (status == 429 || status == 503) response.headers.add("Retry-After", "10");
    return response;
}
const add_route status_route({"GET"}, "/status/{code}", status_page);
// ANCHOR_END: status

// ANCHOR: delay
// GET /delay/{ms} sleeps, then answers: a stand-in for a slow handler (a database query, a
// call to another service). Five of them at once take as long as one with five workers.
HttpResponse delay(const HttpRequest& request) {
    constexpr unsigned long long kMaxDelayMs = 10'000;
    const auto ms = parse_decimal(request.path_params.at("ms"));
    if (!ms || *ms > kMaxDelayMs) return HttpResponse::error(400, "the delay is 0 to 10000 milliseconds");
    std::this_thread::sleep_for(std::chrono::milliseconds(*ms));
    return HttpResponse::text(200, "waited " + std::to_string(*ms) + " ms\n");
}
const add_route delay_route({"GET"}, "/delay/{ms}", delay);
// ANCHOR_END: delay

// ANCHOR: error
// GET /error fails on purpose, to show that a failing handler costs one
// request (500), not the server.
HttpResponse fail_on_purpose(const HttpRequest&) {
    throw std::runtime_error("GET /error always fails");
}
const add_route error_route({"GET"}, "/error", fail_on_purpose);
// ANCHOR_END: error

}  // namespace
