#include "url.hpp"

#include "strings.hpp"

// ANCHOR: percent_decode
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    if (text.find('\0') != std::string_view::npos) return std::nullopt;  // raw, like %00
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+' && plus_is_space) {
            out += ' ';
        } else if (text[i] == '%') {
            const auto byte = i + 2 < text.size() ? parse_hex(text.substr(i + 1, 2)) : std::nullopt;
            if (!byte || *byte == 0) return std::nullopt;
            out += static_cast<char>(*byte);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}
// ANCHOR_END: percent_decode

std::optional<QueryParams> QueryParams::parse(std::string_view query) {
    QueryParams result;
    if (query.empty()) return result;
    for (std::string_view pair : split(query, '&')) {
        if (pair.empty()) continue;  // "a=1&&b=2" has an empty pair: skip it
        const std::size_t equals = pair.find('=');
        auto name = percent_decode(pair.substr(0, equals), /*plus_is_space=*/true);
        auto value = equals == std::string_view::npos
                         ? std::optional<std::string>("")
                         : percent_decode(pair.substr(equals + 1), /*plus_is_space=*/true);
        if (!name || !value) return std::nullopt;
        result.params_.emplace_back(std::move(*name), std::move(*value));
    }
    return result;
}

std::string QueryParams::get(std::string_view name, std::string_view fallback) const {
    for (const auto& [key, value] : params_) {
        if (key == name) return value;
    }
    return std::string(fallback);
}

bool QueryParams::has(std::string_view name) const {
    for (const auto& param : params_) {
        if (param.first == name) return true;
    }
    return false;
}
