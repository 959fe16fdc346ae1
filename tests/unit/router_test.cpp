// The Router (stage 3): patterns, parameters, methods, first match wins.
#include <doctest/doctest.h>

#include <stdexcept>

#include "router.hpp"

namespace {

HttpRequest request(std::string method, std::string path) {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.target = r.path;
    r.version = "HTTP/1.1";
    return r;
}

// A handler that answers with a fixed name, to see which route ran.
RouteHandler named(std::string name) {
    return [name](const HttpRequest&) { return HttpResponse::text(200, name); };
}

}  // namespace

TEST_CASE("a literal pattern matches exactly that path") {
    Router router;
    router.get("/", named("root"));
    router.get("/about", named("about"));
    auto root = request("GET", "/");
    auto about = request("GET", "/about");
    auto other = request("GET", "/about/more");
    CHECK(router.handle(root).body == "root");
    CHECK(router.handle(about).body == "about");
    CHECK(router.handle(other).status == 404);
}

TEST_CASE("a {parameter} captures one decoded segment") {
    Router router;
    router.get("/hello/{name}", [](const HttpRequest& r) {
        return HttpResponse::text(200, r.path_params.at("name"));
    });
    auto alice = request("GET", "/hello/alice");
    CHECK(router.handle(alice).body == "alice");
    CHECK(alice.path_params.at("name") == "alice");

    auto encoded = request("GET", "/hello/J%C3%BCrgen%20M");
    CHECK(router.handle(encoded).body == "J\xc3\xbcrgen M");

    // An encoded slash is data, not a separator: still one segment.
    auto slash = request("GET", "/hello/a%2Fb");
    CHECK(router.handle(slash).body == "a/b");

    auto empty = request("GET", "/hello/");
    CHECK(router.handle(empty).status == 404);
    auto two = request("GET", "/hello/a/b");
    CHECK(router.handle(two).status == 404);
}

TEST_CASE("several parameters in one pattern") {
    Router router;
    router.get("/users/{user}/posts/{post}", [](const HttpRequest& r) {
        return HttpResponse::text(200, r.path_params.at("user") + "#" + r.path_params.at("post"));
    });
    auto r = request("GET", "/users/bob/posts/42");
    CHECK(router.handle(r).body == "bob#42");
}

TEST_CASE("the method is part of the route") {
    Router router;
    router.get("/thing", named("get"));
    router.post("/thing", named("post"));
    router.any("/echo", named("any"));
    auto get = request("GET", "/thing");
    auto post = request("POST", "/thing");
    auto put = request("PUT", "/thing");
    auto echo = request("DELETE", "/echo");
    CHECK(router.handle(get).body == "get");
    CHECK(router.handle(post).body == "post");
    CHECK(router.handle(echo).body == "any");
    // Stage 3 answers a known path with another method 404; stage 4 says
    // more precisely 405 Method Not Allowed.
    CHECK(router.handle(put).status == (COURSE_STAGE >= 4 ? 405 : 404));
}

TEST_CASE("the first matching route wins") {
    Router router;
    router.get("/hello/world", named("literal"));
    router.get("/hello/{name}", named("parameter"));
    auto world = request("GET", "/hello/world");
    auto other = request("GET", "/hello/you");
    CHECK(router.handle(world).body == "literal");
    CHECK(router.handle(other).body == "parameter");
}

TEST_CASE("a badly encoded path is 400, not 404") {
    Router router;
    router.get("/hello/{name}", named("hello"));
    auto bad = request("GET", "/hello/%zz");
    CHECK(router.handle(bad).status == 400);
    auto nul = request("GET", "/hello/a%00b");
    CHECK(router.handle(nul).status == 400);
}

TEST_CASE("a last {name...} segment takes the rest of the path, joined by '/'") {
    Router router;
    router.get("/static/{path...}", [](const HttpRequest& r) {
        return HttpResponse::text(200, "[" + r.path_params.at("path") + "]");
    });
    router.get("/static", named("bare"));
    auto one = request("GET", "/static/site.css");
    CHECK(router.handle(one).body == "[site.css]");
    auto deep = request("GET", "/static/css/a/site.css");
    CHECK(router.handle(deep).body == "[css/a/site.css]");
    // A trailing slash leaves an empty last segment: a folder.
    auto folder = request("GET", "/static/docs/");
    CHECK(router.handle(folder).body == "[docs/]");
    auto root = request("GET", "/static/");
    CHECK(router.handle(root).body == "[]");
    // Each segment is decoded on its own, then joined: an encoded '/' is a
    // separator in the value, which the handler must check as a path.
    auto encoded = request("GET", "/static/a%2Fb/c%20d");
    CHECK(router.handle(encoded).body == "[a/b/c d]");
    auto dots = request("GET", "/static/%2e%2e/secret");
    CHECK(router.handle(dots).body == "[../secret]");
    // No segment at all is not a match for it.
    auto bare = request("GET", "/static");
    CHECK(router.handle(bare).body == "bare");
}

TEST_CASE("a pattern must start with '/'") {
    Router router;
    CHECK_THROWS_AS(router.get("hello", named("x")), std::invalid_argument);
}

#if COURSE_STAGE >= 4
TEST_CASE("stage 4: 405 lists the methods that would work in Allow") {
    Router router;
    router.get("/thing", named("get"));
    router.add({"PUT", "DELETE"}, "/thing", named("change"));
    auto post = request("POST", "/thing");
    const HttpResponse response = router.handle(post);
    CHECK(response.status == 405);
    CHECK(response.headers.get("Allow") == "GET, HEAD, PUT, DELETE, OPTIONS");
    CHECK_FALSE(response.body.empty());
}

TEST_CASE("stage 4: HEAD is answered by the GET route") {
    Router router;
    router.get("/thing", named("get"));
    auto head = request("HEAD", "/thing");
    CHECK(router.handle(head).body == "get");  // the connection drops the body
}

TEST_CASE("stage 4: OPTIONS answers 204 with Allow, for a path and for *") {
    Router router;
    router.get("/a", named("a"));
    router.post("/b", named("b"));
    auto a = request("OPTIONS", "/a");
    const HttpResponse for_a = router.handle(a);
    CHECK(for_a.status == 204);
    CHECK(for_a.headers.get("Allow") == "GET, HEAD, OPTIONS");
    auto star = request("OPTIONS", "*");
    const HttpResponse for_server = router.handle(star);
    CHECK(for_server.status == 204);
    CHECK(for_server.headers.get("Allow") == "GET, HEAD, POST, OPTIONS");
    auto unknown = request("OPTIONS", "/nothing");
    CHECK(router.handle(unknown).status == 404);
}

TEST_CASE("stage 4: a method nobody knows is 501, even on an unknown path") {
    Router router;
    router.any("/echo", named("echo"));
    auto brew = request("BREW", "/echo");
    CHECK(router.handle(brew).status == 501);
    auto nowhere = request("BREW", "/nowhere");
    CHECK(router.handle(nowhere).status == 501);
}
#endif
