// Dates in HTTP (stage 3 writes them; stage 4 reads them too; stage 8
// makes the Date header once a second).
#include <doctest/doctest.h>

#include "http_date.hpp"
#include "second_cache.hpp"

// RFC 9110 section 5.6.7's example, 784111777 seconds after 1970.
constexpr std::time_t kExample = 784111777;

TEST_CASE("http_date writes IMF-fixdate, in GMT") {
    CHECK(http_date(kExample) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
}

#if COURSE_STAGE >= 4
TEST_CASE("stage 4: parse_http_date reads the three formats of RFC 9110 section 5.6.7") {
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == kExample);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == kExample);  // RFC 850
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == kExample);       // asctime
    for (std::time_t t : {std::time_t{0}, kExample, std::time_t{2000000000}}) {
        CHECK(parse_http_date(http_date(t)) == t);
    }
}

TEST_CASE("stage 4: anything else is no date") {
    for (const char* bad : {"", "yesterday", "Sun, 06 Nov 1994", "Sun, 06 Nov 1994 08:49:37 GMT junk",
                            "Sun, 06 Nov 1994 08:49:37 CET", "1994-11-06T08:49:37Z",
                            "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT"}) {
        INFO(bad);
        CHECK_FALSE(parse_http_date(bad).has_value());
    }
}
#endif

#if COURSE_STAGE >= 8
namespace {
int g_made = 0;
std::string counted_date(std::time_t time) {
    ++g_made;
    return http_date(time);
}
}  // namespace

TEST_CASE("stage 8: a SecondCache makes the Date once a second") {
    SecondCache date(counted_date);
    CHECK(date.text(kExample) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(date.text(kExample) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(g_made == 1);
    CHECK(date.text(kExample + 1) == "Sun, 06 Nov 1994 08:49:38 GMT");
    CHECK(g_made == 2);
}
#endif
