// The pages from files (stage 5): what is filled in is escaped, once.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "pages.hpp"

namespace {

struct PageFolder {
    std::string dir;
    PageFolder() {
        char name[] = "/tmp/course-pages-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        dir = name;
        std::ofstream(dir + "/index.html") << "login";
        std::ofstream(dir + "/account.html") << "[{{username}}|{{role}}|{{nothing}}|{{]";
        std::ofstream(dir + "/message.html") << "<h1>{{heading}}</h1><p>{{detail}}</p>";
    }
    ~PageFolder() { std::system(("rm -rf '" + dir + "'").c_str()); }
};

HttpRequest browser() {
    HttpRequest request;
    request.headers.add("Accept", "text/html,application/xhtml+xml");
    return request;
}

}  // namespace

TEST_CASE("html_escape turns markup into text") {
    CHECK(html_escape("<script>alert('x')</script> & \"y\"") ==
          "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;");
    CHECK(html_escape("plain") == "plain");
}

TEST_CASE("the pages come from the folder, and the slots are filled in escaped, once") {
    PageFolder folder;
    load_pages(folder.dir);
    CHECK(home_page(std::nullopt).body == "login");
    Session session;
    session.username = "<b>eve</b>";
    session.role = "{{username}}";  // a value that looks like a slot stays text
    CHECK(home_page(session).body == "[&lt;b&gt;eve&lt;/b&gt;|{{username}}|{{nothing}}|{{]");

    const HttpResponse failure = message_page(browser(), 409, "the name <i>x</i> is taken");
    CHECK(failure.body == "<h1>409 Conflict</h1><p>the name &lt;i&gt;x&lt;/i&gt; is taken</p>");
    CHECK(failure.headers.get("Cache-Control") == "no-store");
    const HttpResponse success = message_page(browser(), 200, "logged in as bob");
    CHECK(success.body == "<h1>logged in as bob</h1><p></p>");
    const HttpResponse text = message_page(HttpRequest{}, 401, "<no html here>");
    CHECK(text.body == "<no html here>\n");
    CHECK(text.headers.get("Content-Type").starts_with("text/plain"));
}

TEST_CASE("a missing page stops the start, naming it") {
    PageFolder folder;
    ::unlink((folder.dir + "/account.html").c_str());
    CHECK_THROWS_WITH_AS(load_pages(folder.dir), doctest::Contains("account.html"), std::runtime_error);
}
