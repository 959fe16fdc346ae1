// Static files: a document root served safely (stage 3); validators, 304,
// 412, ranges and gzip (stage 4). Every test builds its own root in a
// temporary folder and starts the server with --root.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shell.hpp"
#include "stage_test.hpp"
#include "strings.hpp"
#include "temp_folder.hpp"
#include "test_server.hpp"

namespace {

// Bytes no served answer may ever contain: they live outside the root.
const std::string kSecret = "TOP-SECRET-BYTES";

// A 1x1 PNG with NUL bytes in it: a binary file must arrive unchanged.
const std::string kPng("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89", 33);

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

// A temporary folder holding `root` (served) and `outside` (never served),
// with symbolic links from one to the other:
//
//   root/index.html  style.css  logo.png  notes.txt  data.bin  UPPER.CSS
//   root/docs/index.html   root/empty/   root/sub/page.txt
//   root/account.html  message.html     (page templates: stage 5's exercise 9)
//   root/inside.txt -> notes.txt              (stays inside: served)
//   root/escape.txt -> ../outside/secret.txt  (points out: refused)
//   root/escape-dir -> ../outside             (a folder out: refused)
//   root/absolute.txt -> <abs>/outside/secret.txt
//   outside/secret.txt, and the same secret in the folder above the root
struct DocumentRoot {
    const TempFolder temp{"static"};
    const std::string base = temp.path();
    const std::string root = base + "/root";
    DocumentRoot() {
        for (const char* folder : {"/root", "/root/docs", "/root/empty", "/root/sub", "/outside"}) {
            REQUIRE(::mkdir((base + folder).c_str(), 0755) == 0);
        }
        write_file(root + "/index.html", "<!doctype html><title>test root</title>\n");
        write_file(root + "/style.css", "body { color: navy; }\n");
        write_file(root + "/logo.png", kPng);
        write_file(root + "/notes.txt", "some notes\n");
        write_file(root + "/data.bin", std::string("\0\1\2\3", 4));
        write_file(root + "/UPPER.CSS", "p {}\n");
        write_file(root + "/docs/index.html", "<!doctype html><title>docs</title>\n");
        // Page templates, for a server that fills pages in per request and
        // reads them at start (stage 5's exercise 9).
        write_file(root + "/account.html", "<p>Signed in as {{username}}</p>\n");
        write_file(root + "/message.html", "<h1>{{heading}}</h1><p>{{detail}}</p>\n");
        write_file(root + "/sub/page.txt", "a page\n");
        write_file(base + "/outside/secret.txt", kSecret);
        write_file(base + "/secret.txt", kSecret);
        REQUIRE(::symlink("notes.txt", (root + "/inside.txt").c_str()) == 0);
        REQUIRE(::symlink("../outside/secret.txt", (root + "/escape.txt").c_str()) == 0);
        REQUIRE(::symlink("../outside", (root + "/escape-dir").c_str()) == 0);
        REQUIRE(::symlink((base + "/outside/secret.txt").c_str(), (root + "/absolute.txt").c_str()) == 0);
    }
    std::vector<std::string> args() const { return {"--root", root}; }
};

// "curl -s" with what it needs for this server (the development
// certificate from stage 7 on) and a base URL.
std::string curl(const TestServer& server) {
    return std::string("curl -s ") + (server.tls() ? "--cacert build/certs/cert.pem " : "");
}

// The server's peak memory so far (VmHWM, kB), from /proc.
long peak_rss_kb(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmHWM:")) return std::atol(line.c_str() + 6);
    }
    return -1;
}

}  // namespace

// ---------------------------------------------------------------------------
// Stage 3: a document root, served safely.

STAGE_TEST(3, "files under --root are served with their bytes, type and length") {
    DocumentRoot files;
    TestServer server(files.args());
    struct Expected {
        const char* target;
        std::string body;
        const char* type;
    };
    const std::vector<Expected> expected = {
        {"/static/index.html", "<!doctype html><title>test root</title>\n", "text/html; charset=utf-8"},
        {"/static/style.css", "body { color: navy; }\n", "text/css; charset=utf-8"},
        {"/static/logo.png", kPng, "image/png"},
        {"/static/notes.txt", "some notes\n", "text/plain; charset=utf-8"},
        {"/static/data.bin", std::string("\0\1\2\3", 4), "application/octet-stream"},
        {"/static/UPPER.CSS", "p {}\n", "text/css; charset=utf-8"},
        {"/static/sub/page.txt", "a page\n", "text/plain; charset=utf-8"},
        {"/static/sub%2Fpage.txt", "a page\n", "text/plain; charset=utf-8"},  // an encoded '/' is a '/'
        {"/static/inside.txt", "some notes\n", "text/plain; charset=utf-8"},  // a link that stays inside
        {"/", "<!doctype html><title>test root</title>\n", "text/html; charset=utf-8"},
    };
    for (const Expected& file : expected) {
        Exchange ex = server.exchange(get(file.target));
        INFO(ex);
        CHECK(ex.response().status == 200);
        CHECK(ex.response().body == file.body);
        CHECK(ex.response().header("Content-Type") == file.type);
        CHECK(ex.response().header("Content-Length") == std::to_string(file.body.size()));
    }
}

STAGE_TEST(3, "the default root is the stage's public/: GET / links a stylesheet, which links an image") {
    TestServer server;
    Exchange page = server.exchange(get("/"));
    INFO(page);
    CHECK(page.response().status == 200);
    CHECK(page.response().body.find("href=\"/static/style.css\"") != std::string::npos);
    Exchange css = server.exchange(get("/static/style.css"));
    INFO(css);
    CHECK(css.response().header("Content-Type") == "text/css; charset=utf-8");
    // The image comes through the stylesheet (see public/style.css).
    CHECK(css.response().body.find("url(badge.png)") != std::string::npos);
    Exchange png = server.exchange(get("/static/badge.png"));
    INFO(png);
    CHECK(png.response().header("Content-Type") == "image/png");
    CHECK(png.response().body.starts_with("\x89PNG"));
}

STAGE_TEST(3, "Last-Modified is the file's modification time, in IMF-fixdate") {
    DocumentRoot files;
    // 2001-09-09 01:46:40 UTC, one billion seconds after 1970.
    const std::string touch = "touch -d @1000000000 '" + files.root + "/notes.txt'";
    REQUIRE(std::system(touch.c_str()) == 0);
    TestServer server(files.args());
    Exchange ex = server.exchange(get("/static/notes.txt"));
    INFO(ex);
    CHECK(ex.response().header("Last-Modified") == "Sun, 09 Sep 2001 01:46:40 GMT");
}

STAGE_TEST(3, "every response says X-Content-Type-Options: nosniff") {
    DocumentRoot files;
    TestServer server(files.args());
    for (const std::string& request : {get("/"), get("/static/notes.txt"), get("/hello/x"), get("/nothing"),
                                       get("/static/missing.txt"), get("/static/docs")}) {
        Exchange ex = server.exchange(request);
        INFO(ex);
        CHECK(ex.response().header("X-Content-Type-Options") == "nosniff");
    }
    Exchange bad = server.exchange("GET / HTTP/1.1\r\nHost : x\r\n\r\n");  // malformed: 400
    INFO(bad);
    CHECK(bad.response().status == 400);
    CHECK(bad.response().header("X-Content-Type-Options") == "nosniff");
}

STAGE_TEST(3, "no spelling of a path reaches a byte outside the root") {
    DocumentRoot files;
    TestServer server(files.args());
    // The secret sits at root/../outside/secret.txt and root/../secret.txt.
    const std::vector<std::string> targets = {
        "/static/../secret.txt",                          // plain dot-dot (no client normalizes here)
        "/static/../outside/secret.txt",
        "/static/sub/../../secret.txt",
        "/static/./../secret.txt",
        "/static/%2e%2e/secret.txt",                      // encoded dots
        "/static/%2E%2E/outside/secret.txt",
        "/static/.%2e/secret.txt",
        "/static/%2e%2e%2fsecret.txt",                    // encoded slash too
        "/static/..%2fsecret.txt",
        "/static/..%2Foutside%2Fsecret.txt",
        "/static/sub%2f..%2f..%2fsecret.txt",
        "/static/%2e%2e%5csecret.txt",                    // encoded backslash
        "/static/..%5c..%5csecret.txt",
        "/static/..\\secret.txt",                         // a raw backslash
        "/static/%252e%252e/secret.txt",                  // double-encoded: decoded once, a name
        "/static/%252e%252e%252fsecret.txt",
        "/static/%c0%ae%c0%ae/secret.txt",                // overlong UTF-8 dots: just bytes
        "/static/....//secret.txt",
        "/static//etc/passwd",                            // absolute after the route
        "/static/%2fetc%2fpasswd",
        "/static/%2F" + files.base.substr(1) + "%2Fsecret.txt",
        "/static/escape.txt",                             // symbolic links that point out
        "/static/escape-dir/secret.txt",
        "/static/absolute.txt",
        "/static/notes.txt%00.png",                       // NUL
        "/static/notes.txt%00",
        "http://x/static/../secret.txt",                  // absolute-form target
        "/static/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    };
    for (const std::string& target : targets) {
        Exchange ex = server.exchange(get(target));
        INFO(ex);
        // Refused paths are 404 like missing ones; a bad escape is 400.
        CHECK((ex.response().status == 404 || ex.response().status == 400));
        CHECK(ex.received.find(kSecret) == std::string::npos);
        CHECK(ex.received.find("root:x:0:0") == std::string::npos);
    }
    // Hidden files are not published either.
    write_file(files.root + "/.env", kSecret);
    Exchange hidden = server.exchange(get("/static/.env"));
    INFO(hidden);
    CHECK(hidden.response().status == 404);
    CHECK(hidden.received.find(kSecret) == std::string::npos);
    // And the server is still up and serving.
    CHECK(server.exchange(get("/static/notes.txt")).response().status == 200);
}

STAGE_TEST(3, "a folder: its index.html; without the slash, a 301 to it; no index, 404") {
    DocumentRoot files;
    TestServer server(files.args());
    Exchange with_slash = server.exchange(get("/static/docs/"));
    INFO(with_slash);
    CHECK(with_slash.response().status == 200);
    CHECK(with_slash.response().body == "<!doctype html><title>docs</title>\n");
    CHECK(with_slash.response().header("Content-Type") == "text/html; charset=utf-8");

    Exchange without = server.exchange(get("/static/docs?x=1"));
    INFO(without);
    CHECK(without.response().status == 301);
    CHECK(without.response().header("Location") == "/static/docs/?x=1");

    Exchange root = server.exchange(get("/static/"));
    INFO(root);
    CHECK(root.response().status == 200);
    CHECK(root.response().body.find("test root") != std::string::npos);

    for (const char* target : {"/static/empty/", "/static/empty", "/static/notes.txt/", "/static/missing"}) {
        Exchange ex = server.exchange(get(target));
        INFO(ex);
        CHECK(ex.response().status == (std::string(target) == "/static/empty" ? 301 : 404));
    }
}

STAGE_TEST(3, "a FIFO in the root is refused at once, not waited on") {
    DocumentRoot files;
    REQUIRE(::mkfifo((files.root + "/pipe.txt").c_str(), 0644) == 0);
    TestServer server(files.args());
    Connection client = server.connect();
    client.send(get("/static/pipe.txt") + get("/static/notes.txt"));
    const Response fifo = client.read_response(false, std::chrono::seconds(5));
    const Response next = client.read_response(false, std::chrono::seconds(5));
    INFO(client.received());
    CHECK(fifo.status == 404);
    CHECK(next.status == 200);
}

STAGE_TEST(3, "--root must be a folder: a one-line error naming the flag, exit 2") {
    const CommandResult missing = run_server({"--port", "0", "--root", "/nonexistent/course-root"});
    INFO(missing.output);
    CHECK(missing.exit_status == 2);
    CHECK(missing.output.find("--root") != std::string::npos);
}

STAGE_TEST(3, "a 64 MiB file is streamed whole, and the server's memory stays small") {
    DocumentRoot files;
    // Each 8-byte word holds its own offset, so a misplaced or missing
    // chunk shows exactly where.
    constexpr std::size_t kBytes = 64u << 20;
    std::string content(kBytes, '\0');
    for (std::size_t i = 0; i < kBytes; i += 8) {
        std::snprintf(content.data() + i, 9, "%07zx", i / 8 % 0x10000000);
        content[i + 7] = '\n';
    }
    write_file(files.root + "/big.bin", content);
    TestServer server(files.args());
    const long before = peak_rss_kb(server.pid());
    Connection client = server.connect();
    client.send(get("/static/big.bin") + get("/static/notes.txt"));
    const Response big = client.read_response(false, std::chrono::seconds(60));
    const Response after = client.read_response();
    const long peak = peak_rss_kb(server.pid());
    INFO(big.error << "; peak RSS " << before << " kB before, " << peak << " kB after");
    CHECK(big.status == 200);
    CHECK(big.header("Content-Length") == std::to_string(kBytes));
    CHECK(big.body.size() == kBytes);
    CHECK(big.body == content);
    CHECK(after.body == "some notes\n");  // the connection goes on after it
    // Reading the file whole would add 64 MiB; streaming adds a buffer.
    CHECK(peak - before < 16 * 1024);
}

STAGE_TEST(3, "files on a keep-alive connection: answers do not wait for delayed ACKs") {
    DocumentRoot files;
    write_file(files.root + "/200k.bin", std::string(200'000, 'x'));
    TestServer server(files.args());
    Connection client = server.connect();
    // Nagle's algorithm meeting the client's delayed ACK makes an answer
    // wait 40 ms; when the head and the body leave as two small packets it
    // happens to nearly every answer. An answer from a file here takes well
    // under a millisecond, so the typical (median) answer must stay far
    // below 40 ms. A busy machine can delay any one answer, so single slow
    // ones are counted, not failed on, unless they are many.
    for (const std::string target : {"/static/notes.txt", "/static/200k.bin"}) {
        std::vector<long long> micros;
        for (int i = 0; i < 100; ++i) {
            const auto start = std::chrono::steady_clock::now();
            client.send(get(target));
            const Response response = client.read_response();
            micros.push_back(std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count());
            REQUIRE(response.status == 200);
        }
        std::sort(micros.begin(), micros.end());
        const auto slow = std::count_if(micros.begin(), micros.end(), [](long long us) { return us >= 35'000; });
        INFO(target << ": median " << micros[50] << " us, slowest " << micros.back() << " us, " << slow
                    << " of 100 took 35 ms or more");
        CHECK(micros[50] < 10'000);
        CHECK(slow <= 5);
    }
}

// ---------------------------------------------------------------------------
// Stage 4: validators, conditional requests, ranges, gzip, HEAD.

STAGE_TEST(4, "a file has a strong ETag, Cache-Control, Accept-Ranges and Vary") {
    DocumentRoot files;
    TestServer server(files.args());
    Exchange ex = server.exchange(get("/static/notes.txt"));
    INFO(ex);
    const std::string etag = ex.response().header("ETag");
    CHECK(etag.size() > 2);
    CHECK(etag.starts_with("\""));  // strong: no W/
    CHECK(etag.ends_with("\""));
    CHECK(ex.response().header("Cache-Control") == "no-cache");
    CHECK(ex.response().header("Accept-Ranges") == "bytes");
    CHECK(ex.response().header("Vary") == "Accept-Encoding");
    // The same file, the same tag; a changed file, another.
    CHECK(server.exchange(get("/static/notes.txt")).response().header("ETag") == etag);
    write_file(files.root + "/notes.txt", "other notes\n");
    CHECK(server.exchange(get("/static/notes.txt")).response().header("ETag") != etag);
}

STAGE_TEST(4, "If-None-Match and If-Modified-Since: 304 with the validators, no body") {
    DocumentRoot files;
    TestServer server(files.args());
    const Response first = server.exchange(get("/static/style.css")).response();
    const std::string etag = first.header("ETag");
    const std::string modified = first.header("Last-Modified");
    for (const std::string& condition :
         {"If-None-Match: " + etag, "If-None-Match: \"nope\", " + etag, "If-None-Match: W/" + etag,
          std::string("If-None-Match: *"), "If-Modified-Since: " + modified,
          std::string("If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT")}) {
        Connection client = server.connect();
        // Two on one connection: a 304 with a body would break the second.
        client.send(get("/static/style.css", condition + "\r\n") + get("/static/notes.txt"));
        const Response response = client.read_response();
        const Response next = client.read_response();
        INFO(condition << " -> " << client.received());
        CHECK(response.status == 304);
        CHECK(response.body.empty());
        CHECK_FALSE(response.has_header("Content-Length"));
        CHECK(response.header("ETag") == etag);
        CHECK(response.header("Last-Modified") == modified);
        CHECK(next.status == 200);
    }
    for (const std::string& condition :
         {std::string("If-None-Match: \"nope\""), std::string("If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"),
          std::string("If-Modified-Since: not a date"),
          "If-None-Match: \"nope\"\r\nIf-Modified-Since: " + modified}) {
        Exchange ex = server.exchange(get("/static/style.css", condition + "\r\n"));
        INFO(ex);
        CHECK(ex.response().status == 200);
        CHECK(ex.response().body == "body { color: navy; }\n");
    }
}

STAGE_TEST(4, "If-Match and If-Unmodified-Since: 412 when the file is not the one named") {
    DocumentRoot files;
    TestServer server(files.args());
    const Response first = server.exchange(get("/static/notes.txt")).response();
    for (const std::string& condition :
         {std::string("If-Match: \"an-old-version\""), "If-Match: W/" + first.header("ETag"),
          std::string("If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT")}) {
        Exchange ex = server.exchange(get("/static/notes.txt", condition + "\r\n"));
        INFO(ex);
        CHECK(ex.response().status == 412);
        CHECK(ex.response().body.find("412") != std::string::npos);
        CHECK_FALSE(ex.closed);
    }
    for (const std::string& condition : {"If-Match: " + first.header("ETag"), std::string("If-Match: *"),
                                         "If-Unmodified-Since: " + first.header("Last-Modified")}) {
        Exchange ex = server.exchange(get("/static/notes.txt", condition + "\r\n"));
        INFO(ex);
        CHECK(ex.response().status == 200);
    }
}

STAGE_TEST(4, "Range: 206 with Content-Range; 416 past the end; ignored when not one byte range") {
    DocumentRoot files;
    write_file(files.root + "/digits.txt", "0123456789");
    TestServer server(files.args());
    struct Case {
        const char* range;
        int status;
        const char* body;
        const char* content_range;
    };
    for (const Case& c : std::vector<Case>{
             {"bytes=0-3", 206, "0123", "bytes 0-3/10"},
             {"bytes=7-", 206, "789", "bytes 7-9/10"},
             {"bytes=-2", 206, "89", "bytes 8-9/10"},
             {"bytes=5-100", 206, "56789", "bytes 5-9/10"},
             {"bytes=-100", 206, "0123456789", "bytes 0-9/10"},
             {"bytes=10-", 416, nullptr, "bytes */10"},
             {"bytes=-0", 416, nullptr, "bytes */10"},
             {"bytes=0-1,5-6", 200, "0123456789", ""},  // several ranges: the whole file
             {"bytes=0-1,0-1,0-1,0-1", 200, "0123456789", ""},
             {"bytes=5-2", 200, "0123456789", ""},     // invalid: ignored
             {"lines=1-2", 200, "0123456789", ""},     // another unit: ignored
         }) {
        Connection client = server.connect();
        client.send(get("/static/digits.txt", std::string("Range: ") + c.range + "\r\n") + get("/hello/next"));
        const Response response = client.read_response();
        const Response next = client.read_response();
        INFO(c.range << " -> " << client.received());
        CHECK(response.status == c.status);
        CHECK(response.header("Content-Range") == c.content_range);
        if (c.body != nullptr) CHECK(response.body == c.body);
        if (c.status == 416) CHECK(response.body.find("416") != std::string::npos);
        CHECK(next.body == "Hello, next!\n");
    }
}

STAGE_TEST(4, "If-Range: the part while the file is the same, all of it once it changed") {
    DocumentRoot files;
    write_file(files.root + "/digits.txt", "0123456789");
    TestServer server(files.args());
    const Response first = server.exchange(get("/static/digits.txt")).response();
    const std::string range = "Range: bytes=4-5\r\n";
    for (const std::string& same : {first.header("ETag"), first.header("Last-Modified")}) {
        Exchange ex = server.exchange(get("/static/digits.txt", range + "If-Range: " + same + "\r\n"));
        INFO(ex);
        CHECK(ex.response().status == 206);
        CHECK(ex.response().body == "45");
    }
    for (const std::string& stale : {std::string("\"an-old-version\""), "W/" + first.header("ETag"),
                                     std::string("Thu, 01 Jan 1970 00:00:00 GMT")}) {
        Exchange ex = server.exchange(get("/static/digits.txt", range + "If-Range: " + stale + "\r\n"));
        INFO(ex);
        CHECK(ex.response().status == 200);
        CHECK(ex.response().body == "0123456789");
    }
}

STAGE_TEST(4, "name.gz is sent to clients that accept gzip, with its own ETag; Vary on both") {
    DocumentRoot files;
    REQUIRE(std::system(("gzip -k -n '" + files.root + "/style.css'").c_str()) == 0);
    std::ifstream gz_file(files.root + "/style.css.gz", std::ios::binary);
    const std::string gz((std::istreambuf_iterator<char>(gz_file)), std::istreambuf_iterator<char>());
    TestServer server(files.args());

    const Response plain = server.exchange(get("/static/style.css")).response();
    CHECK(plain.body == "body { color: navy; }\n");
    CHECK_FALSE(plain.has_header("Content-Encoding"));
    CHECK(plain.header("Vary") == "Accept-Encoding");

    for (const char* accept : {"gzip", "gzip, deflate, br", "br;q=1, gzip;q=0.5", "*"}) {
        Exchange ex = server.exchange(get("/static/style.css", std::string("Accept-Encoding: ") + accept + "\r\n"));
        INFO(ex);
        CHECK(ex.response().status == 200);
        CHECK(ex.response().header("Content-Encoding") == "gzip");
        CHECK(ex.response().header("Content-Type") == "text/css; charset=utf-8");
        CHECK(ex.response().header("Vary") == "Accept-Encoding");
        CHECK(ex.response().header("ETag") != plain.header("ETag"));
        CHECK(ex.response().body == gz);
    }
    for (const char* accept : {"gzip;q=0", "br, deflate", "identity", "*;q=0"}) {
        Exchange ex = server.exchange(get("/static/style.css", std::string("Accept-Encoding: ") + accept + "\r\n"));
        INFO(ex);
        CHECK_FALSE(ex.response().has_header("Content-Encoding"));
        CHECK(ex.response().body == plain.body);
    }
    // No sibling: the file as it is, whatever the client accepts.
    Exchange no_sibling = server.exchange(get("/static/notes.txt", "Accept-Encoding: gzip\r\n"));
    INFO(no_sibling);
    CHECK_FALSE(no_sibling.response().has_header("Content-Encoding"));
    CHECK(no_sibling.response().body == "some notes\n");
    // The gzip variant's own ETag revalidates it.
    const std::string gz_etag = server.exchange(get("/static/style.css", "Accept-Encoding: gzip\r\n")).response().header("ETag");
    CHECK(server.exchange(get("/static/style.css", "Accept-Encoding: gzip\r\nIf-None-Match: " + gz_etag + "\r\n"))
              .response().status == 304);
    CHECK(server.exchange(get("/static/style.css", "If-None-Match: " + gz_etag + "\r\n")).response().status == 200);
}

STAGE_TEST(4, "HEAD on a file: the same headers as GET, no body") {
    DocumentRoot files;
    TestServer server(files.args());
    for (const std::string& extra : {std::string(), std::string("Range: bytes=0-1\r\n")}) {
        Connection client = server.connect();
        client.send("HEAD /static/notes.txt HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n" + get("/static/notes.txt"));
        const Response head = client.read_response(/*head_request=*/true);
        const Response full = client.read_response();
        INFO(extra << client.received());
        CHECK(head.status == 200);  // ranges are for GET only
        CHECK(head.body.empty());
        CHECK(head.header("Content-Length") == "11");
        CHECK(head.header("ETag") == full.header("ETag"));
        CHECK(head.header("Content-Type") == full.header("Content-Type"));
        CHECK(full.body == "some notes\n");
    }
}

STAGE_TEST(4, "real clients: curl -C - resumes a cut download, curl --compressed decodes gzip") {
    DocumentRoot files;
    std::string content;
    for (int i = 0; i < 20000; ++i) content += "line " + std::to_string(i) + "\n";
    write_file(files.root + "/big.txt", content);
    REQUIRE(std::system(("gzip -k -n '" + files.root + "/big.txt'").c_str()) == 0);
    TestServer server(files.args());
    const std::string url = server.origin() + "/static/big.txt";

    // A download cut after 1000 bytes, then resumed: curl asks for the rest
    // with Range: bytes=1000- and appends it.
    const std::string partial = files.base + "/download.txt";
    write_file(partial, content.substr(0, 1000));
    const std::string status = shell(curl(server) + "-w '%{http_code}' -C - -o '" + partial + "' " + url);
    std::ifstream resumed_file(partial, std::ios::binary);
    const std::string resumed((std::istreambuf_iterator<char>(resumed_file)), std::istreambuf_iterator<char>());
    CHECK(status == "206");
    CHECK(resumed == content);

    // --compressed sends Accept-Encoding, gets the .gz bytes, and decodes them.
    const std::string decoded = shell(curl(server) + "--compressed " + url);
    CHECK(decoded == content);
    const std::string headers = shell(curl(server) + "--compressed -D - -o /dev/null " + url);
    CHECK(headers.find("Content-Encoding: gzip") != std::string::npos);
}

// ---------------------------------------------------------------------------
// Stage 5: the login page is a file in the root, served as any other.

STAGE_TEST(5, "GET / is the root's index.html, a file like any other, and the answers to forms are text") {
    DocumentRoot files;
    write_file(files.root + "/index.html", "<form action=\"/login\">login page from a file</form>\n");
    TestServer server(files.args());
    Exchange page = server.exchange(get("/"));
    INFO(page);
    CHECK(page.response().body == "<form action=\"/login\">login page from a file</form>\n");
    CHECK(page.response().header("Content-Type") == "text/html; charset=utf-8");
    CHECK(page.response().has_header("ETag"));

    // What a form's answer says depends on who asks: no cache may keep it.
    const std::string form = "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                             "Content-Length: 28\r\nAccept: text/html\r\n\r\nusername=alice&password=nope";
    Exchange answer = server.exchange(form);
    INFO(answer);
    CHECK(answer.response().status == 401);
    CHECK(answer.response().body == "wrong username or password\n");
    CHECK(answer.response().header("Cache-Control") == "no-store");
}
