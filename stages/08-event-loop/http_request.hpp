// HttpRequest: what the parser makes of the bytes a client sent.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strings.hpp"

// Header fields in the order they arrived. Names keep the client's spelling
// but compare case-insensitively (RFC 9110 section 5.1): "host", "Host" and
// "HOST" are the same field. A list, not a map, because a field may repeat.
class Headers {
public:
    void add(std::string name, std::string value) {
        fields_.emplace_back(std::move(name), std::move(value));
    }
    // The value of the first field called `name`, or "" when there is none.
    std::string_view get(std::string_view name) const {
        for (const auto& [key, value] : fields_) {
            if (iequals(key, name)) return value;
        }
        return {};
    }
    bool has(std::string_view name) const { return count(name) > 0; }
    std::size_t count(std::string_view name) const {
        std::size_t n = 0;
        for (const auto& field : fields_) n += iequals(field.first, name) ? 1 : 0;
        return n;
    }
    // Every value of `name`, in order (for fields that may repeat).
    std::vector<std::string_view> all(std::string_view name) const {
        std::vector<std::string_view> values;
        for (const auto& [key, value] : fields_) {
            if (iequals(key, name)) values.push_back(value);
        }
        return values;
    }
    auto begin() const { return fields_.begin(); }
    auto end() const { return fields_.end(); }
    std::size_t size() const { return fields_.size(); }

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

struct HttpRequest {
    std::string method;   // "GET"
    std::string target;   // "/search?q=c%2B%2B", exactly as sent
    std::string path;     // "/search": the target up to '?'
    std::string query;    // "q=c%2B%2B": after '?', still percent-encoded
    std::string version;  // "HTTP/1.1"
    Headers headers;
    std::string body;     // de-chunked if it came chunked
    // Filled in by the Router: for the pattern "/hello/{name}" and the path
    // "/hello/alice", path_params["name"] is "alice" (percent-decoded).
    std::map<std::string, std::string> path_params;
    // Who sent it, "127.0.0.1:51234": the rate limiter counts per address.
    std::string client;
};
