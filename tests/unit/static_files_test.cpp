// Static files (stage 3): the path check, the kernel's check, the types.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "static_files.hpp"
#include "temp_folder.hpp"

namespace {

// A folder "root" to serve, with a file and a folder inside, and beside it
// "outside" with a secret, reached from inside by symbolic links.
struct Tree {
    const TempFolder folder{"static-unit"};
    const std::string base = folder.path();
    Tree() {
        ::mkdir((base + "/root").c_str(), 0755);
        ::mkdir((base + "/root/docs").c_str(), 0755);
        ::mkdir((base + "/outside").c_str(), 0755);
        std::ofstream(base + "/root/hello.txt") << "hello";
        std::ofstream(base + "/root/docs/index.html") << "docs";
        std::ofstream(base + "/outside/secret.txt") << "secret";
        REQUIRE(::symlink("../outside/secret.txt", (base + "/root/escape.txt").c_str()) == 0);
        REQUIRE(::symlink("../outside", (base + "/root/escape-dir").c_str()) == 0);
        REQUIRE(::symlink((base + "/outside/secret.txt").c_str(), (base + "/root/absolute.txt").c_str()) == 0);
        REQUIRE(::symlink("docs/index.html", (base + "/root/inside.html").c_str()) == 0);
    }
};

std::string read_all(const Fd& file) {
    std::string text(64, '\0');
    const ssize_t n = ::read(file.get(), text.data(), text.size());
    text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return text;
}

}  // namespace

TEST_CASE("safe_relative_path keeps plain relative paths") {
    CHECK(safe_relative_path("hello.txt") == "hello.txt");
    CHECK(safe_relative_path("css/site.css") == "css/site.css");
    CHECK(safe_relative_path("docs/") == "docs/");
    CHECK(safe_relative_path("") == ".");
    CHECK(safe_relative_path("a b/%2e%2e") == "a b/%2e%2e");  // decoded once: a literal name
    CHECK(safe_relative_path("v1.2/notes..txt") == "v1.2/notes..txt");
}

TEST_CASE("safe_relative_path refuses every way of climbing out, and hidden names") {
    // The values as the router hands them over: percent-decoded, segments
    // joined by '/', so "%2e%2e" has become ".." and "..%2f" "../".
    for (const char* path : {"..", "../secret", "a/../../secret", "a/..", "./a", "a/./b", ".",
                             "/etc/passwd", "//etc/passwd", "a//b", "..\\secret", "a\\..\\b",
                             "...", ".git/config", ".env", "a/.hidden", "docs/../../x"}) {
        INFO(path);
        CHECK_FALSE(safe_relative_path(path).has_value());
    }
    CHECK_FALSE(safe_relative_path(std::string_view("a.txt\0.png", 10)).has_value());
}

TEST_CASE("open_beneath opens files beneath the root, and no file outside") {
    Tree tree;
    const Fd root = open_root(tree.base + "/root");
    REQUIRE(root.valid());
    CHECK(read_all(open_beneath(root.get(), "hello.txt")) == "hello");
    CHECK(read_all(open_beneath(root.get(), "docs/index.html")) == "docs");
    CHECK(open_beneath(root.get(), "docs/").valid());
    CHECK(open_beneath(root.get(), ".").valid());
    // A link that stays inside is followed.
    CHECK(read_all(open_beneath(root.get(), "inside.html")) == "docs");
    // The kernel refuses each of these, whatever the path check said.
    for (const char* path : {"escape.txt", "escape-dir/secret.txt", "absolute.txt", "../outside/secret.txt",
                             "docs/../../outside/secret.txt", "/etc/passwd", "hello.txt/"}) {
        INFO(path);
        CHECK_FALSE(open_beneath(root.get(), path).valid());
    }
    CHECK_FALSE(open_beneath(root.get(), "missing.txt").valid());
    CHECK_FALSE(open_root(tree.base + "/root/hello.txt").valid());
    CHECK_FALSE(open_root(tree.base + "/nothing").valid());
}

TEST_CASE("content_type comes from the extension, with a charset on text") {
    CHECK(content_type("index.html") == "text/html; charset=utf-8");
    CHECK(content_type("css/site.css") == "text/css; charset=utf-8");
    CHECK(content_type("app.js") == "text/javascript; charset=utf-8");
    CHECK(content_type("app.mjs") == "text/javascript; charset=utf-8");
    CHECK(content_type("data.json") == "application/json; charset=utf-8");
    CHECK(content_type("notes.txt") == "text/plain; charset=utf-8");
    CHECK(content_type("logo.svg") == "image/svg+xml");
    CHECK(content_type("a.png") == "image/png");
    CHECK(content_type("a.jpg") == "image/jpeg");
    CHECK(content_type("a.jpeg") == "image/jpeg");
    CHECK(content_type("a.gif") == "image/gif");
    CHECK(content_type("a.webp") == "image/webp");
    CHECK(content_type("favicon.ico") == "image/vnd.microsoft.icon");
    CHECK(content_type("a.wasm") == "application/wasm");
    CHECK(content_type("a.woff2") == "font/woff2");
    CHECK(content_type("a.pdf") == "application/pdf");
    CHECK(content_type("a.mp4") == "video/mp4");
    CHECK(content_type("PHOTO.JPG") == "image/jpeg");  // any case
    CHECK(content_type("archive.tar.gz") == "application/octet-stream");
    CHECK(content_type("Makefile") == "application/octet-stream");
    CHECK(content_type("v1.2/README") == "application/octet-stream");  // a dot in a folder name
    CHECK(content_type("notes.") == "application/octet-stream");
}

#if COURSE_STAGE >= 4
TEST_CASE("stage 4: accepts_gzip reads Accept-Encoding with its weights") {
    const auto accepts = [](std::vector<std::string> fields) {
        Headers headers;
        for (std::string& field : fields) headers.add("Accept-Encoding", std::move(field));
        return accepts_gzip(headers);
    };
    CHECK(accepts({"gzip"}));
    CHECK(accepts({"gzip, deflate, br"}));
    CHECK(accepts({"br;q=1.0, gzip;q=0.8"}));
    CHECK(accepts({"GZIP"}));
    CHECK(accepts({"*"}));
    CHECK(accepts({"deflate", "gzip"}));  // two fields are one list
    CHECK(accepts({"gzip;q=0.001"}));
    CHECK_FALSE(accepts({}));
    CHECK_FALSE(accepts({"identity"}));
    CHECK_FALSE(accepts({"br, deflate"}));
    CHECK_FALSE(accepts({"gzip;q=0"}));
    CHECK_FALSE(accepts({"gzip; q=0.000"}));
    CHECK_FALSE(accepts({"gzip;Q=0"}));
    CHECK_FALSE(accepts({"*;q=0"}));
    CHECK_FALSE(accepts({"*, gzip;q=0"}));  // named: its own weight wins over "*"
    CHECK(accepts({"*;q=0, gzip"}));
}
#endif
