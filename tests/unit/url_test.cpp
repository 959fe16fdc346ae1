// Percent-decoding and query strings (stage 3).
#include <doctest/doctest.h>

#include "url.hpp"

TEST_CASE("percent_decode turns %XX into bytes") {
    CHECK(percent_decode("plain") == "plain");
    CHECK(percent_decode("a%20b") == "a b");
    CHECK(percent_decode("%41%62%2f") == "Ab/");
    CHECK(percent_decode("J%C3%BCrgen") == "J\xc3\xbcrgen");
    CHECK(percent_decode("") == "");
}

TEST_CASE("percent_decode keeps '+' unless asked to read it as a space") {
    CHECK(percent_decode("a+b") == "a+b");
    CHECK(percent_decode("a+b", /*plus_is_space=*/true) == "a b");
    CHECK(percent_decode("a%2Bb", /*plus_is_space=*/true) == "a+b");
}

TEST_CASE("percent_decode refuses broken escapes and NUL") {
    CHECK_FALSE(percent_decode("%"));
    CHECK_FALSE(percent_decode("%4"));
    CHECK_FALSE(percent_decode("abc%"));
    CHECK_FALSE(percent_decode("%zz"));
    CHECK_FALSE(percent_decode("%4g"));
    CHECK_FALSE(percent_decode("%00"));
    CHECK_FALSE(percent_decode(std::string_view("a\0b", 3)));  // raw, as a form body may hold it
    CHECK_FALSE(QueryParams::parse(std::string_view("name=a\0b", 8)).has_value());
}

TEST_CASE("QueryParams splits on & and =, and decodes both sides") {
    const auto query = QueryParams::parse("q=c%2B%2B&page=2&flag&name=J%C3%BCrgen+M");
    REQUIRE(query);
    CHECK(query->get("q") == "c++");
    CHECK(query->get("page") == "2");
    CHECK(query->has("flag"));
    CHECK(query->get("flag") == "");
    CHECK(query->get("name") == "J\xc3\xbcrgen M");
    CHECK_FALSE(query->has("missing"));
    CHECK(query->get("missing", "default") == "default");
}

TEST_CASE("QueryParams keeps the first of repeated names, and skips empty pairs") {
    const auto query = QueryParams::parse("a=1&&a=2&=x");
    REQUIRE(query);
    CHECK(query->get("a") == "1");
    CHECK(query->has(""));
}

TEST_CASE("QueryParams refuses bad encodings") {
    CHECK_FALSE(QueryParams::parse("a=%zz"));
    CHECK_FALSE(QueryParams::parse("%=1"));
    CHECK(QueryParams::parse(""));
}
