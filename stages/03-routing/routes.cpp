#include "routes.hpp"

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

}  // namespace
