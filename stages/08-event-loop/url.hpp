// Percent-decoding and query strings (RFC 3986).
//
// A URL can only carry a few ASCII characters, so everything else travels
// as %XX: "/hello/J%C3%BCrgen" is the path "/hello/Jürgen". Query strings
// from HTML forms also turn spaces into '+' (the
// application/x-www-form-urlencoded format of the WHATWG URL standard).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// "%41b%2Fc" -> "Ab/c". Returns nothing for a broken escape ("%4", "%zz")
// or for a NUL byte, "%00" or raw: it has no business in a path or a name,
// and C functions further down would cut the string there.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

// The name=value pairs of a query string, in order, decoded.
class QueryParams {
public:
    // "q=c%2B%2B&page=2&flag" -> {q: "c++", page: "2", flag: ""}.
    // Returns nothing if any part is badly encoded.
    static std::optional<QueryParams> parse(std::string_view query);

    // The first value of `name`, or `fallback` when it is absent.
    std::string get(std::string_view name, std::string_view fallback = "") const;
    bool has(std::string_view name) const;
    auto begin() const { return params_.begin(); }
    auto end() const { return params_.end(); }

private:
    std::vector<std::pair<std::string, std::string>> params_;
};
