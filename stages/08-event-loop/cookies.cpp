#include "cookies.hpp"

#include "strings.hpp"

// ANCHOR: parse_cookies
Cookies Cookies::parse(std::string_view header) {
    Cookies result;
    for (const std::string_view piece : split(header, ';')) {
        const std::size_t equals = piece.find('=');
        if (equals == std::string_view::npos) continue;
        const std::string_view name = trim_ows(piece.substr(0, equals));
        std::string_view value = trim_ows(piece.substr(equals + 1));
        if (name.empty()) continue;
        // cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ),
        // RFC 6265 section 4.1.1: the quotes are not part of the value.
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        result.cookies_.emplace_back(name, value);
    }
    return result;
}
// ANCHOR_END: parse_cookies

std::optional<std::string> Cookies::get(std::string_view name) const {
    for (const auto& [key, value] : cookies_) {
        if (key == name) return value;
    }
    return std::nullopt;
}

// ANCHOR: set_cookie
std::string session_cookie(std::string_view id, bool secure) {
    return std::string(kSessionCookieName) + "=" + std::string(id) +
           "; HttpOnly; SameSite=Strict; Path=/" + (secure ? "; Secure" : "");
}

std::string cleared_session_cookie(bool secure) { return session_cookie("", secure) + "; Max-Age=0"; }
// ANCHOR_END: set_cookie

namespace {

// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// (RFC 6750 section 2.1)
bool is_b64token(std::string_view token) {
    std::size_t i = 0;
    for (; i < token.size(); ++i) {
        const char c = token[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                        c == '+' || c == '/';
        if (!ok) break;
    }
    if (i == 0) return false;
    for (; i < token.size(); ++i) {
        if (token[i] != '=') return false;
    }
    return true;
}

}  // namespace

// ANCHOR: bearer_token
std::optional<std::string> bearer_token(std::string_view authorization) {
    // credentials = "Bearer" 1*SP b64token
    constexpr std::string_view kScheme = "Bearer";
    const std::string_view text = trim_ows(authorization);
    if (text.size() <= kScheme.size() || !iequals(text.substr(0, kScheme.size()), kScheme) ||
        text[kScheme.size()] != ' ') {
        return std::nullopt;
    }
    std::string_view token = text.substr(kScheme.size());
    while (token.starts_with(' ')) token.remove_prefix(1);
    if (!is_b64token(token)) return std::nullopt;
    return std::string(token);
}
// ANCHOR_END: bearer_token
