// The login routes (stage 5), called through the router with requests from
// several client addresses: who gets throttled, and who does not.
#include <doctest/doctest.h>

#include <string>

#include "auth.hpp"

namespace {

constexpr unsigned kFast = 1000;
constexpr int kPerClient = static_cast<int>(kAttemptsPerClient);
constexpr int kPerAccount = static_cast<int>(kAttemptsPerAccount);

// A POST /login (or /register) from `client`, as the connection would hand it over.
HttpRequest form_post(const std::string& path, const std::string& client, const std::string& body) {
    HttpRequest request;
    request.method = "POST";
    request.path = request.target = path;
    request.version = "HTTP/1.1";
    request.headers.add("Host", "x");
    request.headers.add("Content-Type", "application/x-www-form-urlencoded");
    request.body = body;
    request.client = client + ":40000";
    return request;
}

int log_in(const Router& router, const std::string& client, const std::string& password) {
    HttpRequest request = form_post("/login", client, "username=carol&password=" + password);
    return router.handle(request).status;
}

struct Server {
    AuthState state{UserStore(kFast), SessionStore()};
    Router router;
    Server() {
        REQUIRE(state.users.add("carol", "password one") == AddResult::Added);
        add_auth_routes(router, state);
    }
};

}  // namespace

TEST_CASE("one address guessing is stopped, and cannot lock the owner out from another") {
    Server server;
    for (int i = 0; i < kPerClient; ++i) CHECK(log_in(server.router, "203.0.113.7", "wrong") == 401);
    CHECK(log_in(server.router, "203.0.113.7", "wrong") == 429);
    CHECK(log_in(server.router, "203.0.113.7", "password+one") == 429);  // even the right one
    CHECK(log_in(server.router, "198.51.100.1", "password+one") == 200);  // carol, at home
}

TEST_CASE("many addresses guessing one account hit the account's own, higher bound") {
    Server server;
    int refused = 0;
    for (int client = 0; client < 10; ++client) {
        for (int i = 0; i < kPerClient; ++i) {
            const int status = log_in(server.router, "203.0.113." + std::to_string(client), "wrong");
            CHECK((status == 401 || status == 429));
            refused += status == 429 ? 1 : 0;
        }
    }
    CHECK(refused == 10 * kPerClient - kPerAccount);  // exactly the bound got through
    CHECK(log_in(server.router, "198.51.100.1", "password+one") == 429);  // the price: carol waits
}

TEST_CASE("one address trying many accounts is stopped after its own share") {
    Server server;
    for (int i = 0; i < kPerClient; ++i) {
        HttpRequest request = form_post("/login", "203.0.113.7", "username=user" + std::to_string(i) + "&password=x");
        CHECK(server.router.handle(request).status == 401);
    }
    HttpRequest spray = form_post("/login", "203.0.113.7", "username=someone&password=x");
    const HttpResponse refused = server.router.handle(spray);
    CHECK(refused.status == 429);
    CHECK(refused.headers.has("Retry-After"));
}

TEST_CASE("registrations and logins share one budget per address; good logins give theirs back") {
    Server server;
    for (int i = 0; i < 10; ++i) CHECK(log_in(server.router, "203.0.113.7", "password+one") == 200);
    for (int i = 0; i < kPerClient; ++i) {
        HttpRequest request = form_post("/register", "203.0.113.7", "username=new" + std::to_string(i) + "&password=password");
        CHECK(server.router.handle(request).status == 201);
    }
    HttpRequest one_more = form_post("/register", "203.0.113.7", "username=more&password=password");
    CHECK(server.router.handle(one_more).status == 429);
    CHECK(log_in(server.router, "203.0.113.7", "password+one") == 429);
    HttpRequest elsewhere = form_post("/register", "198.51.100.1", "username=more&password=password");
    CHECK(server.router.handle(elsewhere).status == 201);
}
