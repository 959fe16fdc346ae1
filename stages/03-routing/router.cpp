#include "router.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

#include "url.hpp"

namespace {

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
    // Split first, then decode each segment: "/a%2Fb" is one segment "a/b",
    // not two. Decoding first would let an encoded '/' change the route.
    std::vector<std::string> segments;
    for (std::string_view raw : path_segments(request.path)) {
        std::optional<std::string> decoded = percent_decode(raw);
        if (!decoded) return HttpResponse::text(400, "Bad Request: bad percent-encoding in the path\n");
        segments.push_back(std::move(*decoded));
    }

    for (const Route& route : routes_) {
        std::map<std::string, std::string> params;
        if (!matches(route, segments, params)) continue;
        const bool method_allowed =
            route.methods.empty() ||
            std::find(route.methods.begin(), route.methods.end(), request.method) != route.methods.end();
        if (!method_allowed) continue;

        request.path_params = std::move(params);
        return route.handler(request);
    }
    return HttpResponse::text(404, "Not Found: nothing here answers " + request.method + " " +
                                       request.path + "\n");
}
// ANCHOR_END: handle
