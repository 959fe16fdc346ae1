#include "strings.hpp"

#include <cstdio>
#include <limits>

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

std::string_view trim_leading_ows(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    return text;
}

std::string_view trim_ows(std::string_view text) {
    text = trim_leading_ows(text);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(separator, start);
        if (end == std::string_view::npos) {
            parts.push_back(text.substr(start));
            return parts;
        }
        parts.push_back(text.substr(start, end - start));
        start = end + 1;
    }
}

namespace {

int digit_value(char c, int base) {
    int value = -1;
    if (c >= '0' && c <= '9') value = c - '0';
    else if (c >= 'a' && c <= 'f') value = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') value = c - 'A' + 10;
    return value < base ? value : -1;
}

std::optional<unsigned long long> parse_number(std::string_view text, int base) {
    if (text.empty()) return std::nullopt;
    constexpr auto max = std::numeric_limits<unsigned long long>::max();
    unsigned long long value = 0;
    for (char c : text) {
        const int digit = digit_value(c, base);
        if (digit < 0) return std::nullopt;
        const auto b = static_cast<unsigned long long>(base);
        if (value > (max - static_cast<unsigned long long>(digit)) / b) return std::nullopt;
        value = value * b + static_cast<unsigned long long>(digit);
    }
    return value;
}

}  // namespace

std::optional<unsigned long long> parse_decimal(std::string_view text) {
    return parse_number(text, 10);
}

std::optional<unsigned long long> parse_hex(std::string_view text) { return parse_number(text, 16); }

std::string to_hex(std::string_view bytes) {
    std::string out;
    for (const char c : bytes) {
        out += "0123456789abcdef"[static_cast<unsigned char>(c) >> 4];
        out += "0123456789abcdef"[static_cast<unsigned char>(c) & 15];
    }
    return out;
}

std::string_view address_without_port(std::string_view peer) {
    if (peer.starts_with('[')) return peer.substr(1, peer.find(']') - 1);  // "[::1]:51234"
    return peer.substr(0, peer.rfind(':'));
}

std::string escape_bytes(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\r') out += "\\r";
        else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\\') out += "\\\\";
        else if (byte < 0x20 || byte >= 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", byte);
            out += hex;
        } else out += c;
    }
    return out;
}
