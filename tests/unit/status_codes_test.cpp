// The reason-phrase table (stage 4).
#include <doctest/doctest.h>

#include <set>

#include "status_codes.hpp"

TEST_CASE("the table is in numeric order, without repeats, codes 100-599 only") {
    int previous = 0;
    for (const StatusCode& entry : all_status_codes()) {
        CHECK(entry.code > previous);
        CHECK(entry.code >= 100);
        CHECK(entry.code <= 599);
        CHECK_FALSE(entry.reason.empty());
        CHECK_FALSE(entry.source.empty());
        previous = entry.code;
    }
}

TEST_CASE("every class has its codes") {
    std::set<int> classes;
    for (const StatusCode& entry : all_status_codes()) classes.insert(entry.code / 100);
    CHECK(classes == std::set<int>{1, 2, 3, 4, 5});
}

TEST_CASE("every code RFC 9110 defines is there, with its phrase") {
    // RFC 9110 section 15, less 306 and 418 which it lists as "(Unused)".
    const int rfc9110[] = {100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304,
                           305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410,
                           411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 500, 501, 502, 503,
                           504, 505};
    for (const int code : rfc9110) {
        INFO("status " << code);
        CHECK_FALSE(reason_phrase(code).empty());
    }
    CHECK(reason_phrase(200) == "OK");
    CHECK(reason_phrase(404) == "Not Found");
    CHECK(reason_phrase(413) == "Content Too Large");  // RFC 9110's name; RFC 7231 said "Payload Too Large"
    CHECK(reason_phrase(422) == "Unprocessable Content");
    CHECK(reason_phrase(429) == "Too Many Requests");
    CHECK(reason_phrase(431) == "Request Header Fields Too Large");
}

TEST_CASE("codes not in the table have no phrase") {
    CHECK(reason_phrase(0).empty());
    CHECK(reason_phrase(299).empty());
    CHECK(reason_phrase(306).empty());
    CHECK(reason_phrase(418).empty());
    CHECK(reason_phrase(600).empty());
}
