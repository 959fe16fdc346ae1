// Stage 5, in a real browser: login CSRF from another site's page.
//
// Headless Chromium is driven through the DevTools protocol over a pipe
// (--remote-debugging-pipe: JSON messages ending in NUL, on its fds 3 and
// 4). The test plays the victim's browser: it visits an attacker's page,
// served on another port, whose form logs the browser in as bob at the
// course server; then it opens the course server's protected page and reads it,
// and the browser's cookie jar. Screenshots of both pages are left in
// build/screenshots/.
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "errors.hpp"
#include "fd.hpp"
#include "stage_test.hpp"
#include "temp_folder.hpp"
#include "test_server.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::string chromium_path() {
    if (const char* path = std::getenv("CHROME_PATH")) return path;
    for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
        if (::access(path, X_OK) == 0) return path;
    }
    return "";
}

// Whether this runs in CI, which says so with CI=true (.ci/run, and the
// usual CI services).
bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string_view(ci) == "true";
}

// The value of the first "key":"..." in a JSON message, escapes left as
// they are (enough for ids, and for looking for words in a text).
std::string json_string(const std::string& message, const std::string& key) {
    const std::string opening = "\"" + key + "\":\"";
    const std::size_t start = message.find(opening);
    if (start == std::string::npos) return "";
    std::size_t end = start + opening.size();
    while (end < message.size() && message[end] != '"') end += message[end] == '\\' ? 2 : 1;
    return message.substr(start + opening.size(), end - start - opening.size());
}

// A headless Chromium with its own empty profile, and one tab.
class Browser {
public:
    explicit Browser(const std::string& path) {
        int commands[2];  // we write, Chromium reads on its fd 3
        int events[2];    // Chromium writes on its fd 4, we read
        if (::pipe(commands) < 0 || ::pipe(events) < 0) throw_errno("pipe");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(commands[0], 3);
            ::dup2(events[1], 4);
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, STDOUT_FILENO);
            ::dup2(null, STDERR_FILENO);
            for (int fd = 5; fd < 1024; ++fd) ::close(fd);
            const std::string profile_flag = "--user-data-dir=" + profile_.path();
            ::execl(path.c_str(), path.c_str(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--remote-debugging-pipe", "--ignore-certificate-errors", "--no-first-run",
                    "--disable-breakpad", "--disable-crash-reporter", "--disable-extensions",
                    "--disable-background-networking", "--disable-component-update",
                    "--renderer-process-limit=1", "--window-size=800,500",
                    profile_flag.c_str(), "about:blank", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(commands[0]);
        ::close(events[1]);
        to_browser_ = Fd(commands[1]);
        from_browser_ = Fd(events[0]);
        const std::string target = json_string(call("Target.createTarget", R"({"url":"about:blank"})"), "targetId");
        session_ = json_string(call("Target.attachToTarget", R"({"targetId":")" + target + R"(","flatten":true})"),
                               "sessionId");
    }
    ~Browser() {
        try {
            call("Browser.close", "{}");
        } catch (const std::exception&) {
        }
        to_browser_.reset();
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (Clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    Browser(const Browser&) = delete;
    Browser& operator=(const Browser&) = delete;

    // Sends one command (to the tab unless `browser_wide`) and returns its
    // answer, skipping the events that arrive meanwhile.
    std::string call(const std::string& method, const std::string& params, bool browser_wide = true) {
        const int id = ++last_id_;
        std::string message = R"({"id":)" + std::to_string(id) + R"(,"method":")" + method +
                              R"(","params":)" + params;
        if (!browser_wide) message += R"(,"sessionId":")" + session_ + "\"";
        message += '}';
        message += '\0';
        if (::write(to_browser_.get(), message.data(), message.size()) != static_cast<ssize_t>(message.size())) {
            throw std::runtime_error("Chromium is gone");
        }
        const std::string expected = R"({"id":)" + std::to_string(id) + ",";
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        while (true) {
            const std::size_t end = received_.find('\0');
            if (end != std::string::npos) {
                std::string reply = received_.substr(0, end);
                received_.erase(0, end + 1);
                if (reply.starts_with(expected)) return reply;
                continue;
            }
            pollfd p{from_browser_.get(), POLLIN, 0};
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                throw std::runtime_error("no answer from Chromium to " + method);
            }
            char buffer[65536];
            const ssize_t n = ::read(from_browser_.get(), buffer, sizeof buffer);
            if (n <= 0) throw std::runtime_error("Chromium closed the pipe");
            received_.append(buffer, static_cast<std::size_t>(n));
        }
    }

    void go(const std::string& url) { call("Page.navigate", R"({"url":")" + url + "\"}", false); }

    // The text of the page once `ready` is true of it, or "" after 20 s.
    std::string text_when(const std::string& url_prefix, const std::string& word) {
        const auto deadline = Clock::now() + std::chrono::seconds(20);
        while (Clock::now() < deadline) {
            const std::string reply = call(
                "Runtime.evaluate",
                R"({"expression":"document.readyState + ' ' + location.href + ' ' + document.body.innerText"})",
                false);
            const std::string value = json_string(reply, "value");
            if (value.starts_with("complete " + url_prefix) && value.find(word) != std::string::npos) {
                return value;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return "";
    }

    void screenshot(const std::string& path) {
        const std::string data = json_string(call("Page.captureScreenshot", "{}", false), "data");
        std::string png(data.size() / 4 * 3 + 3, '\0');
        const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(png.data()),
                                      reinterpret_cast<const unsigned char*>(data.data()),
                                      static_cast<int>(data.size()));
        if (n <= 0) return;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        std::ofstream(path, std::ios::binary).write(png.data(), n);
    }

    // Every cookie the browser holds, as the protocol lists them.
    std::string cookies() { return call("Storage.getCookies", "{}"); }

private:
    const TempFolder profile_{"chromium"};  // removed after ~Browser has stopped Chromium
    pid_t pid_ = -1;
    Fd to_browser_;
    Fd from_browser_;
    std::string received_;
    std::string session_;
    int last_id_ = 0;
};

// The attacker's site: one page, on a port of its own (another origin),
// served to every request until destroyed.
class AttackerSite {
public:
    explicit AttackerSite(std::string page) : page_(std::move(page)) {
        listener_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 ||
            ::listen(listener_.get(), 16) < 0 ||
            ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) < 0) {
            throw_errno("attacker site");
        }
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~AttackerSite() {
        stop_ = true;
        thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

private:
    void serve() {
        while (!stop_) {
            pollfd p{listener_.get(), POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            const Fd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!client.valid()) continue;
            std::string request;
            char buffer[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                pollfd c{client.get(), POLLIN, 0};
                if (::poll(&c, 1, 2000) <= 0) break;
                const ssize_t n = ::read(client.get(), buffer, sizeof buffer);
                if (n <= 0) break;
                request.append(buffer, static_cast<std::size_t>(n));
            }
            const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
                                         std::to_string(page_.size()) + "\r\nConnection: close\r\n\r\n" + page_;
            [[maybe_unused]] const ssize_t sent = ::send(client.get(), response.data(), response.size(), MSG_NOSIGNAL);
        }
    }

    std::string page_;
    Fd listener_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_ = false;
    std::thread thread_;
};

// Chromium's path, or "" once the test has said that it is skipped.
// A learner without Chromium loses the browser tests, and is told so; CI
// must not lose them unnoticed (.ci/run installs Chromium).
std::string chromium_or_skip() {
    const std::string path = chromium_path();
    if (path.empty()) {
        if (in_ci()) FAIL("CI=true and no Chromium: CI must run this test (apt-get install chromium)");
        MESSAGE("Chromium not found (scripts/deps.sh chromium, or set CHROME_PATH): test skipped");
    }
    return path;
}

// Where a test's screenshots go: build/screenshots/stageN-NAME.png.
std::string screenshots() { return "build/screenshots/stage" + std::to_string(test_target().stage) + "-"; }

bool log_has(const TestServer& server, const std::string& text) {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline) {
        if (server.log().find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace

STAGE_TEST(5, "in Chromium, another site's form cannot log the browser in (login CSRF); our own page can") {
    const std::string chromium = chromium_or_skip();
    if (chromium.empty()) return;
    TestServer server;
    const std::string site = server.origin();
    const std::string shots = screenshots();
    // The attacker's page: a hidden form that posts bob's credentials to our
    // /login as soon as the page loads. Were it accepted, the victim would
    // then be using bob's account without knowing, and whatever they typed
    // in it would be bob's to read.
    const AttackerSite attacker(
        "<!doctype html><title>Cute cats</title><h1>Cute cats</h1>"
        "<form id=f method=post action=\"" + site + "/login\">"
        "<input type=hidden name=username value=bob><input type=hidden name=password value=builder></form>"
        "<script>document.getElementById('f').submit()</script>");
    Browser browser(chromium);

    browser.go(attacker.url());
    REQUIRE(log_has(server, "\"POST /login HTTP/1.1\""));  // the browser did send it
    const std::string answer = browser.text_when(site + "/login", "");
    browser.screenshot(shots + "login-csrf-attack.png");
    INFO("the attacker's form got: ", answer);
    CHECK(answer.find("refused: the form was sent from another site") != std::string::npos);

    browser.go(site + "/protected");
    const std::string members = browser.text_when(site + "/protected", "");
    browser.screenshot(shots + "login-csrf-protected-after.png");
    const std::string jar = browser.cookies();
    INFO("our protected page then says: ", members);
    INFO("the browser's cookies: ", jar);
    CHECK(members.find("log in to see this page") != std::string::npos);
    CHECK(members.find("Hello, bob") == std::string::npos);
    CHECK(jar.find("session_id") == std::string::npos);

    browser.go(site + "/");
    REQUIRE_FALSE(browser.text_when(site + "/", "Sign in").empty());

    // The same form on our own page goes through: the check stops other
    // sites, not browsers.
    browser.call("Runtime.evaluate",
                 R"js({"expression":"document.querySelector('input[name=username]').value='alice';)js"
                 R"js(document.querySelector('input[name=password]').value='wonderland';)js"
                 R"js(document.querySelector('form[action=\"/login\"]').submit()"})js",
                 false);
    REQUIRE(log_has(server, "\"POST /login HTTP/1.1\" 200"));
    browser.go(site + "/protected");
    const std::string signed_in = browser.text_when(site + "/protected", "Hello, alice!");
    browser.screenshot(shots + "login-own-page.png");
    CHECK_FALSE(signed_in.empty());
    CHECK(browser.cookies().find("session_id") != std::string::npos);
}

STAGE_TEST(5, "in Chromium, the login page's script sends the forms itself and says who is signed in") {
    const std::string chromium = chromium_or_skip();
    if (chromium.empty()) return;
    TestServer server;
    const std::string site = server.origin();
    const std::string shots = screenshots();
    Browser browser(chromium);

    browser.go(site + "/");
    const std::string before = browser.text_when(site + "/", "Not signed in");
    browser.screenshot(shots + "page-not-signed-in.png");
    CHECK_FALSE(before.empty());

    // requestSubmit() is a click on the form's button: the submit event
    // fires, and the page's script sends the form with fetch().
    browser.call("Runtime.evaluate",
                 R"js({"expression":"document.querySelector('#login [name=username]').value='bob';)js"
                 R"js(document.querySelector('#login [name=password]').value='builder';)js"
                 R"js(document.getElementById('login').requestSubmit()"})js",
                 false);
    const std::string after = browser.text_when(site + "/", "Signed in as bob");
    browser.screenshot(shots + "page-signed-in.png");
    INFO("the page then says: ", after);
    CHECK_FALSE(after.empty());
    CHECK(after.find("200 OK: logged in as bob") != std::string::npos);
    CHECK(log_has(server, "\"POST /login HTTP/1.1\" 200"));  // it passed the cross-site check

    browser.call("Runtime.evaluate", R"js({"expression":"document.getElementById('logout').requestSubmit()"})js",
                 false);
    CHECK_FALSE(browser.text_when(site + "/", "200 OK: logged out").empty());
    CHECK_FALSE(browser.text_when(site + "/", "Not signed in").empty());
}
