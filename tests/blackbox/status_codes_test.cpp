// Stage 4: status codes as a protocol.
#include <map>
#include <thread>

#include "stage_test.hpp"
#include "test_server.hpp"

namespace {

// Date must be an IMF-fixdate (RFC 9110 section 5.6.7): "Tue, 24 Nov 2026 07:29:00 GMT".
bool is_imf_fixdate(const std::string& date) {
    if (date.size() != 29 || !date.ends_with(" GMT")) return false;
    const std::string days = "Mon,Tue,Wed,Thu,Fri,Sat,Sun,";
    return days.find(date.substr(0, 4)) != std::string::npos && date[4] == ' ' && date[7] == ' ' &&
           date[11] == ' ' && date[16] == ' ' && date[19] == ':' && date[22] == ':';
}

// What every response from stage 4 on carries.
void check_common_headers(const Response& response) {
    CHECK(is_imf_fixdate(response.header("Date")));
    CHECK_FALSE(response.header("Server").empty());
}

// What every error response carries: a short text body and its length.
void check_error_body(const Response& response) {
    check_common_headers(response);
    CHECK(response.header("Content-Type").starts_with("text/plain"));
    CHECK(response.header("Content-Length") == std::to_string(response.body.size()));
    CHECK(response.body.size() > 10);
    CHECK(response.body.size() < 300);
    CHECK(response.body.find(std::to_string(response.status)) != std::string::npos);
}

}  // namespace

STAGE_TEST(4, "every response has Date and Server") {
    TestServer server;
    for (const char* target : {"/", "/hello/x", "/nope", "/status/503"}) {
        Exchange ex = server.exchange(get(target));
        INFO(ex);
        check_common_headers(ex.response());
    }
}

STAGE_TEST(4, "an unknown path is 404 with a short body; the connection stays open") {
    TestServer server;
    for (Exchange& ex : server.exchange_every_way(get("/no/such/page") + get("/hello/x"), 2)) {
        INFO(ex);
        REQUIRE(ex.responses.size() == 2);
        CHECK(ex.responses[0].status == 404);
        check_error_body(ex.responses[0]);
        CHECK(ex.responses[1].status == 200);
        CHECK_FALSE(ex.closed);
    }
}

STAGE_TEST(4, "a known path with another method is 405 with Allow; the connection stays open") {
    TestServer server;
    const std::string post = "POST /hello/x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
    for (Exchange& ex : server.exchange_every_way(post + get("/hello/y"), 2)) {
        INFO(ex);
        REQUIRE(ex.responses.size() == 2);
        CHECK(ex.responses[0].status == 405);
        CHECK(ex.responses[0].reason == "Method Not Allowed");
        CHECK(ex.responses[0].header("Allow") == "GET, HEAD, OPTIONS");
        check_error_body(ex.responses[0]);
        CHECK(ex.responses[1].body == "Hello, y!\n");
    }
}

STAGE_TEST(4, "malformed requests are still 400, with a body, and the connection closes") {
    TestServer server;
    for (Exchange& ex : server.exchange_every_way("GET / HTTP/1.1\r\nHost : x\r\n\r\n")) {
        INFO(ex);
        CHECK(ex.response().status == 400);
        check_error_body(ex.response());
        CHECK(ex.response().header("Connection") == "close");
        CHECK(ex.closed);
    }
}

STAGE_TEST(4, "a handler that throws is 500, and the server keeps serving on the same connection") {
    TestServer server;
    for (Exchange& ex : server.exchange_every_way(get("/error") + get("/hello/after"), 2)) {
        INFO(ex);
        REQUIRE(ex.responses.size() == 2);
        CHECK(ex.responses[0].status == 500);
        check_error_body(ex.responses[0]);
        // The exception's text is for the log, not for the client.
        CHECK(ex.responses[0].body.find("always fails") == std::string::npos);
        CHECK(ex.responses[1].body == "Hello, after!\n");
    }
    CHECK(server.log().find("always fails") != std::string::npos);
}

STAGE_TEST(4, "an unknown method is 501") {
    TestServer server;
    for (Exchange& ex : server.exchange_every_way("BREW /echo HTTP/1.1\r\nHost: x\r\n\r\n")) {
        INFO(ex);
        CHECK(ex.response().status == 501);
        check_error_body(ex.response());
    }
}

STAGE_TEST(4, "an HTTP version other than 1.0 and 1.1 is 505, and the connection closes") {
    TestServer server;
    for (const char* version : {"HTTP/2.0", "HTTP/1.2", "HTTP/3.0", "HTTP/0.9"}) {
        for (Exchange& ex : server.exchange_every_way(std::string("GET / ") + version + "\r\nHost: x\r\n\r\n")) {
            INFO(ex);
            CHECK(ex.response().status == 505);
            check_error_body(ex.response());
            CHECK(ex.closed);
        }
    }
}

STAGE_TEST(4, "a request line over 8 KiB is 414, and the connection closes") {
    TestServer server;
    Exchange ex = server.exchange(get("/" + std::string(9000, 'a')));
    INFO(ex);
    CHECK(ex.response().status == 414);
    check_error_body(ex.response());
    CHECK(ex.closed);
    // Just under the limit is fine (404: no such page, but no 414).
    Exchange fits = server.exchange(get("/" + std::string(8000, 'a')));
    CHECK(fits.response().status == 404);
}

STAGE_TEST(4, "a header section over 8 KiB or 100 fields is 431, and the connection closes") {
    TestServer server;
    Exchange big = server.exchange(get("/", "X-Big: " + std::string(9000, 'b') + "\r\n"));
    INFO(big);
    CHECK(big.response().status == 431);
    check_error_body(big.response());
    CHECK(big.closed);

    std::string many;
    for (int i = 0; i < 101; ++i) many += "X-Field-" + std::to_string(i) + ": v\r\n";
    Exchange count = server.exchange(get("/", many));
    INFO(count);
    CHECK(count.response().status == 431);
    CHECK(count.closed);
}

STAGE_TEST(4, "a body over 1 MiB is 413 (Content-Length or chunked), and the connection closes") {
    TestServer server;
    Exchange declared = server.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n");
    INFO(declared);
    CHECK(declared.response().status == 413);
    check_error_body(declared.response());
    CHECK(declared.closed);

    Exchange chunked = server.exchange(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n");
    INFO(chunked);
    CHECK(chunked.response().status == 413);
    CHECK(chunked.closed);
}

STAGE_TEST(4, "an unsupported transfer coding is 501; chunked not last is 400") {
    TestServer server;
    Exchange gzip = server.exchange(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
    INFO(gzip);
    CHECK(gzip.response().status == 501);
    CHECK(gzip.closed);
    Exchange not_last = server.exchange(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n");
    INFO(not_last);
    CHECK(not_last.response().status == 400);
}

STAGE_TEST(4, "a request that stops arriving is 408 after --request-timeout, and the connection closes") {
    TestServer server({"--request-timeout", "1"});
    for (const std::string& partial : {std::string("GET /hello/x HTTP/1.1\r\nHost: x\r\n"),
                                      std::string("GET /hel"),
                                      std::string("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")}) {
        Exchange ex = server.exchange(partial);
        INFO(ex);
        CHECK(ex.response().status == 408);
        check_error_body(ex.response());
        CHECK(ex.closed);
    }
}

// RFC 9110 section 9.3.2: the answer to HEAD is the answer to GET without
// its content, errors included. The method is known once the request line
// names it, so each of these fails after that.
STAGE_TEST(4, "an error answer to HEAD has the headers of the GET one and no body: 505, 413, 501, 417, 408") {
    TestServer server({"--request-timeout", "1"});
    for (const std::string head : {"HTTP/1.2\r\nHost: x\r\n\r\n",
                                   "HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n",
                                   "HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                                   "HTTP/1.1\r\nHost: x\r\nExpect: a-pony\r\n\r\n",
                                   "HTTP/1.1\r\nHost: x\r\n"}) {  // and then nothing: 408
        const Exchange get = server.exchange("GET /hello/x " + head);
        const Exchange ex = server.exchange("HEAD /hello/x " + head, 1, /*head_request=*/true);
        INFO(get);
        INFO(ex);
        CHECK(ex.response().status >= 400);
        CHECK(ex.response().status == get.response().status);
        CHECK(ex.response().header("Content-Length") == std::to_string(get.response().body.size()));
        CHECK(ex.received.ends_with("\r\n\r\n"));  // the head, and nothing after it
        CHECK(ex.closed);
    }
}

// Stage 6 gives idle connections their own, separate timeout.
STAGE_RANGE_TEST(4, 5, "a connection that never sends a byte is closed quietly after the timeout") {
    TestServer server({"--request-timeout", "1"});
    Connection silent = server.connect();
    CHECK(silent.closed_by_server(std::chrono::seconds(3)));
    CHECK(silent.received().empty());
    // The timeout is per request: a slow but steady client is not cut off
    // between requests that each arrive in time.
    Connection steady = server.connect();
    for (int i = 0; i < 3; ++i) {
        steady.send(get("/hello/steady"));
        CHECK(steady.read_response().status == 200);
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
}

STAGE_TEST(4, "HEAD on every GET route: the same headers, no body") {
    TestServer server;
    for (const char* target : {"/", "/hello/x", "/echo", "/status/200", "/status/404"}) {
        Connection client = server.connect();
        // HEAD then GET on one connection: if the HEAD response carried a
        // body, the GET response would not parse.
        client.send("HEAD " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n" + get(target));
        const Response head = client.read_response(/*head_request=*/true);
        const Response full = client.read_response();
        INFO(target << ": " << client.received());
        CHECK(head.status == full.status);
        CHECK(head.body.empty());
        CHECK(head.header("Content-Type") == full.header("Content-Type"));
        // /echo describes the request, so its GET and HEAD bodies differ in
        // length ("method: GET" vs "method: HEAD"); elsewhere they match.
        if (std::string(target) != "/echo") {
            CHECK(head.header("Content-Length") == std::to_string(full.body.size()));
        }
    }
}

STAGE_TEST(4, "OPTIONS is 204 with Allow, for a route and for the whole server") {
    TestServer server;
    for (Exchange& ex : server.exchange_every_way("OPTIONS /hello/x HTTP/1.1\r\nHost: x\r\n\r\n")) {
        INFO(ex);
        CHECK(ex.response().status == 204);
        CHECK(ex.response().header("Allow") == "GET, HEAD, OPTIONS");
        CHECK_FALSE(ex.response().has_header("Content-Length"));  // RFC 9110 8.6: never in a 204
        CHECK(ex.response().body.empty());
    }
    Exchange star = server.exchange("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
    INFO(star);
    CHECK(star.response().status == 204);
    CHECK(star.response().header("Allow").find("GET") != std::string::npos);
}

STAGE_TEST(4, "Expect: 100-continue gets 100 Continue before the body is sent") {
    TestServer server;
    Connection client = server.connect();
    client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    const Response go_on = client.read_response();
    INFO(client.received());
    CHECK(go_on.status == 100);
    CHECK(go_on.reason == "Continue");
    client.send("hello");
    const Response done = client.read_response();
    CHECK(done.status == 200);
    CHECK(done.body.find("body length: 5\n") != std::string::npos);
}

STAGE_TEST(4, "Expect: 100-continue with a body too large is 413 at once, without 100") {
    TestServer server;
    Exchange ex = server.exchange(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n");
    INFO(ex);
    CHECK(ex.response().status == 413);
    CHECK(ex.received.find("100 Continue") == std::string::npos);
}

STAGE_TEST(4, "an expectation other than 100-continue is 417") {
    TestServer server;
    Exchange ex = server.exchange(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: teapot\r\n\r\nx");
    INFO(ex);
    CHECK(ex.response().status == 417);
    check_error_body(ex.response());
}

// The table the server must know: every code registered for HTTP (RFC 9110
// section 15 and the RFCs that added the others), less the two "(Unused)".
const std::map<int, std::string> kExpectedTable = {
    {100, "Continue"}, {101, "Switching Protocols"}, {102, "Processing"}, {103, "Early Hints"},
    {200, "OK"}, {201, "Created"}, {202, "Accepted"}, {203, "Non-Authoritative Information"},
    {204, "No Content"}, {205, "Reset Content"}, {206, "Partial Content"}, {207, "Multi-Status"},
    {208, "Already Reported"}, {226, "IM Used"}, {300, "Multiple Choices"},
    {301, "Moved Permanently"}, {302, "Found"}, {303, "See Other"}, {304, "Not Modified"},
    {305, "Use Proxy"}, {307, "Temporary Redirect"}, {308, "Permanent Redirect"},
    {400, "Bad Request"}, {401, "Unauthorized"}, {402, "Payment Required"}, {403, "Forbidden"},
    {404, "Not Found"}, {405, "Method Not Allowed"}, {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"}, {408, "Request Timeout"}, {409, "Conflict"},
    {410, "Gone"}, {411, "Length Required"}, {412, "Precondition Failed"},
    {413, "Content Too Large"}, {414, "URI Too Long"}, {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"}, {417, "Expectation Failed"}, {421, "Misdirected Request"},
    {422, "Unprocessable Content"}, {423, "Locked"}, {424, "Failed Dependency"},
    {425, "Too Early"}, {426, "Upgrade Required"}, {428, "Precondition Required"},
    {429, "Too Many Requests"}, {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"}, {500, "Internal Server Error"},
    {501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
    {504, "Gateway Timeout"}, {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"}, {507, "Insufficient Storage"}, {508, "Loop Detected"},
    {510, "Not Extended"}, {511, "Network Authentication Required"},
};

STAGE_TEST(4, "GET /status/{code} answers every code in the table with its reason phrase") {
    TestServer server;
    Connection client = server.connect();
    for (const auto& [code, reason] : kExpectedTable) {
        client.send(get("/status/" + std::to_string(code)));
        const Response response = client.read_response();
        INFO("GET /status/" << code << " -> " << response.status << " " << response.reason
                            << (response.error.empty() ? "" : " (" + response.error + ")"));
        if (code == 101) {
            // 101 would switch protocols; it only answers an Upgrade request.
            CHECK(response.status == 400);
            continue;
        }
        CHECK(response.status == code);
        CHECK(response.reason == reason);
        if (code < 200) {
            // A 1xx is interim: the final response follows.
            const Response final_response = client.read_response();
            CHECK(final_response.status == 200);
            continue;
        }
        if (code == 204 || code == 304) {
            CHECK(response.body.empty());
        } else {
            CHECK(response.body == std::to_string(code) + " " + reason + "\n");
        }
        if (code >= 300 && code < 400) CHECK(response.header("Location") == "/");
        if (code == 401) CHECK(response.has_header("WWW-Authenticate"));
        if (code == 405) CHECK(response.has_header("Allow"));
        check_common_headers(response);
    }
}

STAGE_TEST(4, "GET /status/ with a code not in the table is 404, with a non-number 400") {
    TestServer server;
    Exchange unknown = server.exchange(get("/status/299"));
    INFO(unknown);
    CHECK(unknown.response().status == 404);
    Exchange word = server.exchange(get("/status/teapot"));
    INFO(word);
    CHECK(word.response().status == 400);
}
