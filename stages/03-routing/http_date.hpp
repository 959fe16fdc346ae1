// Dates in HTTP (RFC 9110 section 5.6.7).
#pragma once

#include <ctime>
#include <string>

// "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate) for a time in seconds
// since 1970, as in Last-Modified.
std::string http_date(std::time_t time);
