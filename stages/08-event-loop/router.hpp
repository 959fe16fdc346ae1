// Router: which code answers which request.
//
// A route is (methods, path pattern) -> handler. Patterns are paths whose
// segments are either literal ("hello") or parameters in braces ("{name}"):
//
//     router.get("/hello/{name}", [](const HttpRequest& request) {
//         return HttpResponse::text(200, "Hello, " + request.path_params.at("name") + "!\n");
//     });
//
// A last segment "{name...}" takes the rest of the path, however many
// segments: "/static/{path...}" matches "/static/css/site.css" with path
// "css/site.css".
//
// The first route whose pattern and method match wins. When none does, the
// answer says why (RFC 9110 section 15.5): no pattern matches the path ->
// 404; a pattern matches but not for this method -> 405 with an Allow
// header listing the methods that would work; a method nobody here knows ->
// 501. HEAD is served by the GET route, and OPTIONS answers 204 with Allow.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http_request.hpp"
#include "http_response.hpp"

using RouteHandler = std::function<HttpResponse(const HttpRequest&)>;

class Router {
public:
    // `methods` lists the methods the route answers; empty means any method.
    void add(std::vector<std::string> methods, const std::string& pattern, RouteHandler handler);
    void get(const std::string& pattern, RouteHandler handler) { add({"GET"}, pattern, std::move(handler)); }
    void post(const std::string& pattern, RouteHandler handler) { add({"POST"}, pattern, std::move(handler)); }
    void any(const std::string& pattern, RouteHandler handler) { add({}, pattern, std::move(handler)); }

    // Finds the route for the request, fills in request.path_params, and
    // calls its handler.
    HttpResponse handle(HttpRequest& request) const;

private:
    struct Route {
        std::vector<std::string> methods;
        std::vector<std::string> segments;  // "/hello/{name}" -> {"hello", "{name}"}
        RouteHandler handler;
    };
    std::vector<Route> routes_;
    // Whether `route` matches the decoded path segments; fills `params`.
    static bool matches(const Route& route, const std::vector<std::string>& segments,
                        std::map<std::string, std::string>& params);
};
