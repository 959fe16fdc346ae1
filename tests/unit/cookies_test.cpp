// Cookies and bearer tokens (stage 5): reading the session id a client
// sends, and the Set-Cookie values that start and end a session.
#include <doctest/doctest.h>

#include "cookies.hpp"

TEST_CASE("Cookie: name=value pairs separated by '; '") {
    const Cookies cookies = Cookies::parse("session_id=abc123; theme=dark");
    CHECK(cookies.get("session_id") == "abc123");
    CHECK(cookies.get("theme") == "dark");
    CHECK_FALSE(cookies.get("missing"));
    CHECK(cookies.size() == 2);
}

TEST_CASE("Cookie parsing is lenient about spaces, quotes and stray pieces") {
    const Cookies cookies =
        Cookies::parse("  a = 1 ;b=2;;noequals; =nameless; c=\"quoted\"; d=; e=x=y ");
    CHECK(cookies.get("a") == "1");
    CHECK(cookies.get("b") == "2");
    CHECK(cookies.get("c") == "quoted");
    CHECK(cookies.get("d") == "");
    CHECK(cookies.get("e") == "x=y");  // only the first '=' separates
    CHECK_FALSE(cookies.get("noequals"));
    CHECK_FALSE(cookies.get(""));
    CHECK(cookies.size() == 5);
}

TEST_CASE("Cookie names are case-sensitive, and the first of a name wins") {
    const Cookies cookies = Cookies::parse("session_id=first; Session_ID=other; session_id=second");
    CHECK(cookies.get("session_id") == "first");
    CHECK(cookies.get("Session_ID") == "other");
    CHECK_FALSE(cookies.get("SESSION_ID"));
}

TEST_CASE("an empty or absent Cookie header holds no cookies") {
    CHECK(Cookies::parse("").size() == 0);
    CHECK_FALSE(Cookies::parse("").get(kSessionCookieName));
    CHECK(Cookies::parse("; ;").size() == 0);
}

TEST_CASE("values are not percent-decoded: they are opaque") {
    CHECK(Cookies::parse("a=%41+b").get("a") == "%41+b");
}

TEST_CASE("the session cookie is HttpOnly, SameSite=Strict, for the whole site") {
    CHECK(session_cookie("3f1c") == "session_id=3f1c; HttpOnly; SameSite=Strict; Path=/");
}

TEST_CASE("the clearing cookie is empty and expires at once") {
    const std::string cleared = cleared_session_cookie();
    CHECK(cleared == "session_id=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    // What a browser will send back after a login: the set value parses.
    CHECK(Cookies::parse("session_id=3f1c").get(kSessionCookieName) == "3f1c");
}

TEST_CASE("Authorization: Bearer TOKEN gives the token") {
    CHECK(bearer_token("Bearer abc123") == "abc123");
    CHECK(bearer_token("bearer abc123") == "abc123");  // the scheme is case-insensitive
    CHECK(bearer_token("BEARER abc123") == "abc123");
    CHECK(bearer_token("Bearer    abc123") == "abc123");  // 1*SP
    CHECK(bearer_token("  Bearer abc123  ") == "abc123");
    CHECK(bearer_token("Bearer a-._~+/Z9==") == "a-._~+/Z9==");
}

TEST_CASE("anything but a well-formed bearer token gives nothing") {
    CHECK_FALSE(bearer_token(""));
    CHECK_FALSE(bearer_token("Bearer"));
    CHECK_FALSE(bearer_token("Bearer "));
    CHECK_FALSE(bearer_token("Bearerabc123"));
    CHECK_FALSE(bearer_token("Bearer\tabc123"));
    CHECK_FALSE(bearer_token("Basic YWxpY2U6d29uZGVybGFuZA=="));
    CHECK_FALSE(bearer_token("Bearer abc 123"));
    CHECK_FALSE(bearer_token("Bearer abc,123"));
    CHECK_FALSE(bearer_token("Bearer a=b"));  // '=' only at the end
    CHECK_FALSE(bearer_token("Bearer =="));
    CHECK_FALSE(bearer_token("Bearer abc\r\n"));
    CHECK_FALSE(bearer_token("Token abc123"));
}
