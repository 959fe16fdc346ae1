// Dates in HTTP (RFC 9110 section 5.6.7).
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

// "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate) for a time in seconds
// since 1970, as in Last-Modified.
std::string http_date(std::time_t time);

// The time a date field names, in any of the three formats RFC 9110
// section 5.6.7 has a recipient accept; nothing when it names none.
std::optional<std::time_t> parse_http_date(std::string_view text);
