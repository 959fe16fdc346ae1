// The application: which routes this server has, registered the way the
// original Python server did it, with a decorator-like add_route.
//
// Python (the original design):              C++ (this file):
//
//   registered_routes = []                     std::vector<RouteEntry>& registered_routes();
//   def add_route(methods, path):              struct add_route { add_route(methods, path, handler); };
//       def decorator(fn):
//           registered_routes.append(...)
//           return fn
//       return decorator
//
//   @add_route(["GET"], "/hello/<name>")       HttpResponse say_hello(const HttpRequest& request) { ... }
//   def say_hello(request): ...                const add_route say_hello_route({"GET"}, "/hello/{name}", say_hello);
//
//   def register_routes(app): ...              void register_routes(Router& router);
#pragma once

#include <string>
#include <vector>

#include "router.hpp"

// One route waiting to be registered.
struct RouteEntry {
    std::vector<std::string> methods;
    std::string pattern;
    RouteHandler handler;
};

// Every route declared with add_route, in declaration order.
std::vector<RouteEntry>& registered_routes();

// Declaring a variable of this type registers a route, the way applying
// @add_route(...) to a function does in Python: the constructor runs when
// the program starts, before main().
struct add_route {
    add_route(std::vector<std::string> methods, std::string pattern, RouteHandler handler);
};

// Puts every collected route into the router.
void register_routes(Router& router);
