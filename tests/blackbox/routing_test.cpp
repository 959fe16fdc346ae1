// Stage 3: routes, path parameters, query strings, 404.
#include "stage_test.hpp"
#include "test_server.hpp"

STAGE_TEST(3, "GET / is an HTML page") {
    TestServer server;
    for (Exchange& ex : server.exchange_every_way("GET / HTTP/1.1\r\nHost: x\r\n\r\n")) {
        INFO(ex);
        CHECK(ex.response().status == 200);
        CHECK(ex.response().header("Content-Type").starts_with("text/html"));
        CHECK(ex.response().body.starts_with("<!doctype html>"));
    }
}

// Stage 5 turns GET / into the login page.
STAGE_RANGE_TEST(3, 4, "the welcome page links to the routes") {
    TestServer server;
    Exchange ex = server.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    INFO(ex);
    CHECK(ex.response().body.find("/hello/") != std::string::npos);
}

STAGE_TEST(3, "GET /hello/{name} greets by name") {
    TestServer server;
    for (Exchange& ex : server.exchange_every_way("GET /hello/alice HTTP/1.1\r\nHost: x\r\n\r\n")) {
        INFO(ex);
        CHECK(ex.response().status == 200);
        CHECK(ex.response().header("Content-Type").starts_with("text/plain"));
        CHECK(ex.response().body == "Hello, alice!\n");
    }
}

STAGE_TEST(3, "path parameters are percent-decoded after the path is split") {
    TestServer server;
    {  // a block each: a failure shows its own exchange only
        Exchange utf8 = server.exchange("GET /hello/J%C3%BCrgen%20M HTTP/1.1\r\nHost: x\r\n\r\n");
        INFO(utf8);
        CHECK(utf8.response().body == "Hello, J\xc3\xbcrgen M!\n");
    }
    {
        Exchange slash = server.exchange("GET /hello/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n");
        INFO(slash);
        CHECK(slash.response().body == "Hello, a/b!\n");
    }
}

STAGE_TEST(3, "the query string is parsed: ?greeting=... changes the greeting") {
    TestServer server;
    Exchange ex = server.exchange("GET /hello/bob?greeting=Bonjour+%C3%A0+toi&x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    INFO(ex);
    CHECK(ex.response().status == 200);
    CHECK(ex.response().body == "Bonjour \xc3\xa0 toi, bob!\n");
}

STAGE_TEST(3, "a badly percent-encoded path or query is 400 and the connection stays open") {
    TestServer server;
    for (const char* target : {"/hello/%zz", "/hello/a%00", "/hello/bob?greeting=%4"}) {
        Connection client = server.connect();
        client.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        const Response bad = client.read_response();
        INFO("GET " << target << " -> " << client.received());
        CHECK(bad.status == 400);
        // The framing was fine, so the connection can go on.
        client.send("GET /hello/again HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(client.read_response().status == 200);
    }
}

STAGE_TEST(3, "an unknown path is 404 with a short body, and the connection stays open") {
    TestServer server;
    for (Exchange& ex : server.exchange_every_way(
             "GET /no/such/page HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/x HTTP/1.1\r\nHost: x\r\n\r\n", 2)) {
        INFO(ex);
        REQUIRE(ex.responses.size() == 2);
        CHECK(ex.responses[0].status == 404);
        CHECK(ex.responses[0].reason == "Not Found");
        CHECK_FALSE(ex.responses[0].body.empty());
        CHECK(ex.responses[1].status == 200);
        CHECK_FALSE(ex.closed);
    }
}

STAGE_TEST(3, "patterns match whole segments only") {
    TestServer server;
    for (const char* target : {"/hello", "/hello/", "/hello/a/b", "/helloo/a", "/HELLO/a"}) {
        Exchange ex = server.exchange(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        INFO(ex);
        CHECK(ex.response().status == 404);
    }
}

STAGE_TEST(3, "GET /echo keeps the stage-2 description of the request") {
    TestServer server;
    Exchange ex = server.exchange("POST /echo?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    INFO(ex);
    CHECK(ex.response().status == 200);
    CHECK(ex.response().body.find("method: POST\n") != std::string::npos);
    CHECK(ex.response().body.find("path: /echo\n") != std::string::npos);
    CHECK(ex.response().body.find("query: a=1\n") != std::string::npos);
    CHECK(ex.response().body.find("body length: 3\n") != std::string::npos);
}

STAGE_RANGE_TEST(3, 3, "a known path with another method is 404 (stage 4 makes it 405)") {
    TestServer server;
    Exchange ex = server.exchange("POST /hello/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    INFO(ex);
    CHECK(ex.response().status == 404);
}

STAGE_TEST(3, "an absolute-form target is routed by its path") {
    TestServer server;
    Exchange ex = server.exchange("GET http://example.com/hello/abs HTTP/1.1\r\nHost: example.com\r\n\r\n");
    INFO(ex);
    CHECK(ex.response().body == "Hello, abs!\n");
}
