#include "http_date.hpp"

#include <cstdio>

// ANCHOR: http_date
// Always GMT and English names, whatever the machine's time zone and
// language: gmtime_r and our own names, not the locale's strftime.
std::string http_date(std::time_t time) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm utc{};
    gmtime_r(&time, &utc);
    char text[32];
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday],
                  utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                  utc.tm_sec);
    return text;
}
// ANCHOR_END: http_date

// A recipient reads the two older formats too (RFC 9110 section 5.6.7).
// strptime(3) reads names in the "C" locale, where every program starts
// and this one stays. Anything else is no date: the field is ignored.
std::optional<std::time_t> parse_http_date(std::string_view text) {
    const std::string copy(text);  // strptime reads up to a NUL byte
    for (const char* format : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                               "%a %b %e %H:%M:%S %Y"}) {
        std::tm utc{};
        const char* end = strptime(copy.c_str(), format, &utc);
        if (end != nullptr && *end == '\0') return timegm(&utc);
    }
    return std::nullopt;
}
