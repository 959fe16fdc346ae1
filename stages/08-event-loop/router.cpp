#include "router.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <stdexcept>

#include "url.hpp"

namespace {

// The methods defined by RFC 9110 section 9, and PATCH (RFC 5789). A
// method outside this list is one the server does not implement at all.
constexpr std::array<std::string_view, 9> kKnownMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

bool is_known_method(std::string_view method) {
    return std::find(kKnownMethods.begin(), kKnownMethods.end(), method) != kKnownMethods.end();
}

bool is_parameter(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool is_rest_parameter(const std::string& segment) {
    return is_parameter(segment) && segment.ends_with("...}");
}

// "/hello/alice" -> {"hello", "alice"}; "/" -> {}.
std::vector<std::string_view> path_segments(std::string_view path) {
    path.remove_prefix(1);  // every path and pattern starts with '/'
    if (path.empty()) return {};
    return split(path, '/');
}

bool accepts(const std::vector<std::string>& methods, std::string_view method) {
    return methods.empty() || std::find(methods.begin(), methods.end(), method) != methods.end();
}

// ANCHOR: allow
// The Allow header (RFC 9110 section 10.2.1): the methods that would have
// worked, in a fixed order. GET brings HEAD; OPTIONS always works.
std::string allow_header(const std::vector<std::string>& methods) {
    std::string allow;
    for (std::string_view known : kKnownMethods) {
        const bool allowed = known == "OPTIONS" || accepts(methods, known) ||
                             (known == "HEAD" && accepts(methods, "GET"));
        if (!allowed) continue;
        if (!allow.empty()) allow += ", ";
        allow += known;
    }
    return allow;
}
// ANCHOR_END: allow

}  // namespace

void Router::add(std::vector<std::string> methods, const std::string& pattern, RouteHandler handler) {
    if (!pattern.starts_with('/')) throw std::invalid_argument("a route pattern starts with '/': " + pattern);
    Route route{std::move(methods), {}, std::move(handler)};
    for (std::string_view segment : path_segments(pattern)) route.segments.emplace_back(segment);
    routes_.push_back(std::move(route));
}

bool Router::matches(const Route& route, const std::vector<std::string>& segments,
                     std::map<std::string, std::string>& params) {
    for (std::size_t i = 0; i < route.segments.size(); ++i) {
        const std::string& expected = route.segments[i];
        if (i >= segments.size()) return false;
        if (is_rest_parameter(expected)) {
            // "{path...}" takes the segments left, joined by '/': an encoded
            // "%2F" is a '/' now, so the handler must check it as a path.
            std::string rest = segments[i];
            for (std::size_t j = i + 1; j < segments.size(); ++j) rest += "/" + segments[j];
            params[expected.substr(1, expected.size() - 5)] = std::move(rest);
            return true;
        }
        if (is_parameter(expected)) {
            // "{name}" matches any non-empty segment and remembers it.
            if (segments[i].empty()) return false;
            params[expected.substr(1, expected.size() - 2)] = segments[i];
        } else if (expected != segments[i]) {
            return false;
        }
    }
    return route.segments.size() == segments.size();
}

// ANCHOR: handle
HttpResponse Router::handle(HttpRequest& request) const {
    if (!is_known_method(request.method)) {
        return HttpResponse::error(501, "this server does not implement the method " + request.method);
    }
    if (request.path == "*") {
        // "OPTIONS * HTTP/1.1" asks about the server as a whole.
        std::vector<std::string> all_methods;
        for (const Route& route : routes_) {
            all_methods.insert(all_methods.end(), route.methods.begin(), route.methods.end());
        }
        HttpResponse response;
        response.status = 204;
        response.headers.add("Allow", allow_header(all_methods));
        return response;
    }

    // Split first, then decode each segment: "/a%2Fb" is one segment "a/b",
    // not two. Decoding first would let an encoded '/' change the route.
    std::vector<std::string> segments;
    for (std::string_view raw : path_segments(request.path)) {
        std::optional<std::string> decoded = percent_decode(raw);
        if (!decoded) return HttpResponse::error(400, "bad percent-encoding in the path");
        segments.push_back(std::move(*decoded));
    }

    // HEAD is GET without the body (RFC 9110 section 9.3.2): the GET route
    // answers, and the connection leaves the body out.
    const std::string method = request.method == "HEAD" ? "GET" : request.method;
    std::vector<std::string> allowed;  // the methods of routes that match the path
    bool path_known = false;
    for (const Route& route : routes_) {
        std::map<std::string, std::string> params;
        if (!matches(route, segments, params)) continue;
        path_known = true;
        if (accepts(route.methods, method)) {
            request.path_params = std::move(params);
            return route.handler(request);
        }
        allowed.insert(allowed.end(), route.methods.begin(), route.methods.end());
    }

    if (!path_known) {
        return HttpResponse::error(404, "nothing here answers " + request.method + " " + request.path);
    }
    HttpResponse response;
    if (request.method == "OPTIONS") {
        response.status = 204;  // "these are the methods": no content needed
    } else {
        response = HttpResponse::error(405, request.path + " does not answer " + request.method);
    }
    response.headers.add("Allow", allow_header(allowed));
    return response;
}
// ANCHOR_END: handle
