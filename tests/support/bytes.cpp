#include "bytes.hpp"

#include <algorithm>

#include "strings.hpp"

namespace {

// How far before the first difference describe_difference() starts to
// show, so that the reader sees where in the message it is.
constexpr std::size_t kContextBefore = 64;

}  // namespace

std::string show_bytes(std::string_view bytes, std::size_t from, std::size_t limit) {
    from = std::min(from, bytes.size());
    std::string shown;
    if (from > 0) shown += "[" + std::to_string(from) + " bytes before] ...";
    std::size_t end = from;
    std::string escaped;
    while (end < bytes.size() && escaped.size() < limit) {
        escaped += escape_bytes(bytes.substr(end, 1));
        ++end;
    }
    shown += escaped;
    if (end < bytes.size()) shown += "... [" + std::to_string(bytes.size() - end) + " more bytes]";
    return shown;
}

std::string describe_difference(std::string_view actual, std::string_view expected) {
    if (actual == expected) return "";
    const auto differs =
        std::mismatch(actual.begin(), actual.end(), expected.begin(), expected.end()).first;
    const auto offset = static_cast<std::size_t>(differs - actual.begin());
    std::string text = "got " + std::to_string(actual.size()) + " bytes, expected " +
                       std::to_string(expected.size()) + "; ";
    if (offset == std::min(actual.size(), expected.size())) {
        text += "one is the other cut short at byte " + std::to_string(offset);
    } else {
        text += "first difference at byte " + std::to_string(offset) + ": got '" +
                escape_bytes(actual.substr(offset, 1)) + "', expected '" +
                escape_bytes(expected.substr(offset, 1)) + "'";
    }
    const std::size_t from = offset > kContextBefore ? offset - kContextBefore : 0;
    text += "\n  got:      " + show_bytes(actual, from, kShownChars);
    text += "\n  expected: " + show_bytes(expected, from, kShownChars);
    return text;
}
