// Stage 5: users, sessions, cookies, 401/403/409/415/429.
#include <openssl/evp.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "shell.hpp"
#include "stage_test.hpp"
#include "strings.hpp"
#include "temp_folder.hpp"
#include "test_server.hpp"

namespace {

std::string form_post(const std::string& path, const std::string& body,
                      const std::string& extra_headers = "") {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" +
           "Content-Type: application/x-www-form-urlencoded\r\n" + extra_headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// "session_id=ab12...; HttpOnly; ..." -> "ab12..."
std::string session_id_of(const Response& response) {
    const std::string cookie = response.header("Set-Cookie");
    if (!cookie.starts_with("session_id=")) return "";
    return cookie.substr(11, cookie.find(';') - 11);
}

// Logs in and returns the session id ("" if the login failed).
std::string log_in(const TestServer& server, const std::string& user, const std::string& password) {
    Exchange ex = server.exchange(form_post("/login", "username=" + user + "&password=" + password));
    return ex.response().status == 200 ? session_id_of(ex.response()) : "";
}

std::string cookie(const std::string& id) { return "Cookie: session_id=" + id + "\r\n"; }

}  // namespace

STAGE_TEST(5, "POST /login with the right password: 200 and a session cookie with the safe attributes") {
    TestServer server;
    Exchange ex = server.exchange(form_post("/login", "username=alice&password=wonderland"));
    INFO(ex);
    CHECK(ex.response().status == 200);
    const std::string set_cookie = ex.response().header("Set-Cookie");
    // At least 128 bits: 32 or more hex digits.
    const std::string id = session_id_of(ex.response());
    CHECK(id.size() >= 32);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(set_cookie.find("; HttpOnly") != std::string::npos);
    CHECK(set_cookie.find("; SameSite=Strict") != std::string::npos);
    CHECK(set_cookie.find("; Path=/") != std::string::npos);
    CHECK(ex.response().body.find("alice") != std::string::npos);
}

STAGE_TEST(5, "a wrong password or an unknown user is 401, with the same answer for both") {
    TestServer server;
    Exchange wrong = server.exchange(form_post("/login", "username=alice&password=nope"));
    Exchange unknown = server.exchange(form_post("/login", "username=nobody&password=wonderland"));
    INFO(wrong);
    INFO(unknown);
    CHECK(wrong.response().status == 401);
    CHECK(unknown.response().status == 401);
    CHECK(wrong.response().has_header("WWW-Authenticate"));  // every 401 carries one (RFC 9110 15.5.2)
    CHECK_FALSE(wrong.response().has_header("Set-Cookie"));
    CHECK(wrong.response().body == unknown.response().body);
}

STAGE_TEST(5, "a login form with missing fields or bad encoding is 400; another content type is 415") {
    TestServer server;
    for (const char* body : {"username=alice", "password=wonderland", "", "username=%zz&password=x"}) {
        Exchange ex = server.exchange(form_post("/login", body));
        INFO(ex);
        CHECK(ex.response().status == 400);
    }
    const std::string json = "{\"username\":\"alice\",\"password\":\"wonderland\"}";
    Exchange ex = server.exchange("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  "Content-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json);
    INFO(ex);
    CHECK(ex.response().status == 415);
}

STAGE_TEST(5, "GET /protected: 200 naming the user with a valid session, 401 without") {
    TestServer server;
    const std::string id = log_in(server, "alice", "wonderland");
    REQUIRE_FALSE(id.empty());
    for (Exchange& ex : server.exchange_every_way(get("/protected", cookie(id)))) {
        INFO(ex);
        CHECK(ex.response().status == 200);
        CHECK(ex.response().body.find("alice") != std::string::npos);
    }
    Exchange none = server.exchange(get("/protected"));
    INFO(none);
    CHECK(none.response().status == 401);
    CHECK(none.response().has_header("WWW-Authenticate"));
    Exchange forged = server.exchange(get("/protected", cookie(std::string(32, 'a'))));
    CHECK(forged.response().status == 401);
    Exchange cut = server.exchange(get("/protected", cookie(id.substr(0, id.size() - 1))));
    CHECK(cut.response().status == 401);
}

STAGE_TEST(5, "Authorization: Bearer ID works as well as the cookie") {
    TestServer server;
    const std::string id = log_in(server, "bob", "builder");
    REQUIRE_FALSE(id.empty());
    Exchange ex = server.exchange(get("/protected", "Authorization: Bearer " + id + "\r\n"));
    INFO(ex);
    CHECK(ex.response().status == 200);
    CHECK(ex.response().body.find("bob") != std::string::npos);
    Exchange wrong = server.exchange(get("/protected", "Authorization: Bearer nonsense\r\n"));
    CHECK(wrong.response().status == 401);
}

STAGE_TEST(5, "POST /logout ends the session and clears the cookie; without a session it is 401") {
    TestServer server;
    const std::string id = log_in(server, "alice", "wonderland");
    REQUIRE_FALSE(id.empty());
    Exchange out = server.exchange(form_post("/logout", "", cookie(id)));
    INFO(out);
    CHECK(out.response().status == 200);
    const std::string cleared = out.response().header("Set-Cookie");
    CHECK(cleared.starts_with("session_id=;"));
    CHECK(cleared.find("Max-Age=0") != std::string::npos);
    Exchange after = server.exchange(get("/protected", cookie(id)));
    CHECK(after.response().status == 401);
    Exchange again = server.exchange(form_post("/logout", "", cookie(id)));
    CHECK(again.response().status == 401);
}

STAGE_TEST(5, "GET /admin: 200 for an admin, 403 for another user, 401 without a session") {
    TestServer server;
    const std::string alice = log_in(server, "alice", "wonderland");
    const std::string bob = log_in(server, "bob", "builder");
    CHECK(server.exchange(get("/admin", cookie(alice))).response().status == 200);
    CHECK(server.exchange(get("/admin", cookie(bob))).response().status == 403);
    CHECK(server.exchange(get("/admin")).response().status == 401);
}

STAGE_TEST(5, "every login gets a new id, and logging in again ends the session the browser had") {
    TestServer server;
    const std::string first = log_in(server, "alice", "wonderland");
    const std::string second = log_in(server, "alice", "wonderland");
    CHECK(first != second);
    // A login that arrives with an old session cookie replaces that session
    // (an id planted before login is useless after it: session fixation).
    Exchange relogin = server.exchange(
        form_post("/login", "username=alice&password=wonderland", cookie(first)));
    INFO(relogin);
    CHECK(relogin.response().status == 200);
    CHECK(server.exchange(get("/protected", cookie(first))).response().status == 401);
    CHECK(server.exchange(get("/protected", cookie(session_id_of(relogin.response())))).response().status == 200);
}

STAGE_TEST(5, "sessions expire after --session-ttl seconds unused") {
    TestServer server({"--session-ttl", "1"});
    const std::string other = log_in(server, "alice", "wonderland");
    const std::string id = log_in(server, "bob", "builder");
    REQUIRE_FALSE(other.empty());
    REQUIRE_FALSE(id.empty());
    CHECK(server.exchange(get("/protected", cookie(id))).response().status == 200);
    // Both go unused for longer than the TTL (`other` since its login): one
    // wait for the two.
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    CHECK(server.exchange(get("/protected", cookie(id))).response().status == 401);
    // Logging out of an expired session is no logout either.
    CHECK(server.exchange(form_post("/logout", "", cookie(other))).response().status == 401);
}

STAGE_TEST(5, "more than 5 failed logins in a minute: 429 with Retry-After, even for the right password") {
    TestServer server;
    for (int i = 0; i < 6; ++i) {
        Exchange ex = server.exchange(form_post("/login", "username=bob&password=wrong" + std::to_string(i)));
        INFO(ex);
        CHECK(ex.response().status == 401);
    }
    Exchange blocked = server.exchange(form_post("/login", "username=bob&password=builder"));
    INFO(blocked);
    CHECK(blocked.response().status == 429);
    const auto retry = parse_decimal(blocked.response().header("Retry-After"));
    REQUIRE(retry);
    CHECK(*retry >= 1);
    CHECK(*retry <= 60);
}

STAGE_TEST(5, "POST /register: 201 for a new user who can then log in, 409 for a taken name, 400 for bad input") {
    TestServer server;
    Exchange created = server.exchange(form_post("/register", "username=carol&password=correct+horse"));
    INFO(created);
    CHECK(created.response().status == 201);
    CHECK_FALSE(log_in(server, "carol", "correct+horse").empty());
    CHECK(server.exchange(form_post("/register", "username=carol&password=another+one")).response().status == 409);
    CHECK(server.exchange(form_post("/register", "username=alice&password=another+one")).response().status == 409);
    CHECK(server.exchange(form_post("/register", "username=bad%20name&password=long+enough")).response().status == 400);
    CHECK(server.exchange(form_post("/register", "username=dave&password=short")).response().status == 400);
    CHECK(server.exchange(form_post("/register", "username=dave")).response().status == 400);
}

STAGE_TEST(5, "GET / is a page with the forms to log in, sign up and log out; /protected names the user") {
    TestServer server;
    Exchange page = server.exchange(get("/"));
    INFO(page);
    CHECK(page.response().status == 200);
    CHECK(page.response().header("Content-Type").starts_with("text/html"));
    CHECK(page.response().body.find("action=\"/login\"") != std::string::npos);
    CHECK(page.response().body.find("name=\"password\"") != std::string::npos);
    CHECK(page.response().body.find("action=\"/register\"") != std::string::npos);
    CHECK(page.response().body.find("action=\"/logout\"") != std::string::npos);
    const std::string id = log_in(server, "alice", "wonderland");
    Exchange signed_in = server.exchange(get("/protected", cookie(id)));
    INFO(signed_in);
    CHECK(signed_in.response().body.find("Hello, alice!") != std::string::npos);
}

namespace {

// A users-file line for `name`, hashed here the way the server's README
// says it hashes: "pbkdf2-sha256$ITERATIONS$SALT$HASH", PBKDF2-HMAC-SHA256
// with the salt used as the text it is stored as, the hash in base64.
std::string users_file_line(const std::string& name, const std::string& password) {
    const std::string salt = "c2FsdC1mb3ItdGVzdHM=";  // any base64 text will do
    constexpr int kIterations = 1000;
    unsigned char hash[32];
    REQUIRE(PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                              reinterpret_cast<const unsigned char*>(salt.data()),
                              static_cast<int>(salt.size()), kIterations, EVP_sha256(), sizeof hash,
                              hash) == 1);
    unsigned char base64[4 * ((sizeof hash + 2) / 3) + 1];
    EVP_EncodeBlock(base64, hash, sizeof hash);
    return name + ":user:pbkdf2-sha256$" + std::to_string(kIterations) + "$" + salt + "$" +
           reinterpret_cast<const char*>(base64) + "\n";
}

}  // namespace

STAGE_TEST(5, "the browser flow with a real HTTP client and a cookie jar (curl)") {
    TestServer server;
    // From stage 7 on the server speaks HTTPS: curl checks it against the
    // development certificate, as a browser that trusts it would.
    const std::string url = std::string(server.tls() ? "https" : "http") + "://127.0.0.1:" +
                            std::to_string(server.port());
    const TempFolder folder("cookies");
    const std::string jar = shell_quote(folder.file("jar"));
    const std::string curl = "curl -s -o /dev/null -w '%{http_code}' -b " + jar + " -c " + jar +
                             (server.tls() ? " --cacert build/certs/cert.pem " : " ");
    CHECK(shell(curl + url + "/protected") == "401");
    CHECK(shell(curl + "-d 'username=alice&password=wonderland' " + url + "/login") == "200");
    CHECK(shell(curl + url + "/protected") == "200");
    CHECK(shell(curl + url + "/admin") == "200");
    CHECK(shell(curl + "-X POST " + url + "/logout") == "200");
    CHECK(shell(curl + url + "/protected") == "401");
}

STAGE_TEST(5, "--users FILE adds the users of a hand-written file; a bad line stops the server") {
    const TempFolder folder("users");
    std::ofstream(folder.file("users.txt")) << "# a comment, then a user\n\n" << users_file_line("erin", "s3cret-pass");
    {
        TestServer server({"--users", folder.file("users.txt")});
        CHECK_FALSE(log_in(server, "erin", "s3cret-pass").empty());
        CHECK(log_in(server, "erin", "wrong-pass").empty());
    }
    std::ofstream(folder.file("broken.txt")) << "erin:user:not-a-hash\n";
    const CommandResult bad = run_server({"--users", folder.file("broken.txt")});
    CHECK(bad.exit_status == 2);
    CHECK(bad.output.find("line 1") != std::string::npos);
}

namespace {

// Our own origin, as a browser names it: our scheme and the Host the
// requests in these tests carry ("Host: x").
std::string own_origin(const TestServer& server) { return server.tls() ? "https://x" : "http://x"; }

}  // namespace

STAGE_TEST(5, "POST /login, /logout and /register sent by another site's page: 403, and nothing happens") {
    TestServer server;
    const std::string id = log_in(server, "alice", "wonderland");
    REQUIRE_FALSE(id.empty());
    const std::string foreign[] = {
        "Origin: http://evil.example\r\n",
        "Origin: " + own_origin(server) + ":8443\r\n",                // another port
        "Origin: " + std::string(server.tls() ? "http" : "https") + "://x\r\n",  // another scheme
        "Origin: null\r\n",                                           // a sandboxed or file: page
        "Sec-Fetch-Site: cross-site\r\n",
        "Sec-Fetch-Site: same-site\r\n",                              // a sibling subdomain, another port
        "Origin: " + own_origin(server) + "\r\nSec-Fetch-Site: cross-site\r\n",
    };
    for (const std::string& header : foreign) {
        Exchange login = server.exchange(form_post("/login", "username=bob&password=builder", header));
        INFO(login);
        CHECK(login.response().status == 403);
        CHECK_FALSE(login.response().has_header("Set-Cookie"));
        Exchange signup = server.exchange(form_post("/register", "username=mallory&password=long+enough", header));
        CHECK(signup.response().status == 403);
        Exchange logout = server.exchange(form_post("/logout", "", cookie(id) + header));
        CHECK(logout.response().status == 403);
    }
    CHECK(server.exchange(get("/protected", cookie(id))).response().status == 200);  // still signed in
    CHECK(log_in(server, "mallory", "long+enough").empty());                         // never created
}

STAGE_TEST(5, "the same POSTs from the site's own page, or from no browser at all, are served") {
    TestServer server;
    const std::string own = own_origin(server);
    const std::string same_site[] = {
        "Origin: " + own + "\r\n",
        "Sec-Fetch-Site: same-origin\r\n",
        "Sec-Fetch-Site: none\r\n",  // typed in the address bar
        "Origin: " + own + "\r\nSec-Fetch-Site: same-origin\r\n",
    };
    for (const std::string& header : same_site) {
        Exchange login = server.exchange(form_post("/login", "username=bob&password=builder", header));
        INFO(login);
        CHECK(login.response().status == 200);
    }
    Exchange signup = server.exchange(form_post("/register", "username=carol&password=long+enough",
                                                "Origin: " + own + "\r\n"));
    CHECK(signup.response().status == 201);
}

STAGE_TEST(5, "no page may be shown in another site's frame: every response says X-Frame-Options: DENY") {
    TestServer server;
    Exchange home = server.exchange(get("/"));
    Exchange file = server.exchange(get("/static/index.html"));  // an HTML file, straight from the root
    Exchange denied = server.exchange(get("/protected"));
    Exchange login = server.exchange(form_post("/login", "username=alice&password=wonderland"));
    Exchange missing = server.exchange(get("/no/such/page"));
    for (const Exchange* ex : {&home, &file, &denied, &login, &missing}) {
        INFO(*ex);
        CHECK(ex->response().header("X-Frame-Options") == "DENY");
    }
    CHECK(home.response().header("Content-Type").starts_with("text/html"));
    CHECK(file.response().header("Content-Type").starts_with("text/html"));
}

STAGE_TEST(5, "sign-ups share a client's budget with logins: the 7th hash in a minute is 429") {
    TestServer server;
    for (int i = 0; i < 6; ++i) {
        Exchange ex = server.exchange(form_post("/register", "username=user" + std::to_string(i) + "&password=long+enough"));
        INFO(ex);
        CHECK(ex.response().status == 201);
    }
    Exchange blocked = server.exchange(form_post("/register", "username=one_more&password=long+enough"));
    INFO(blocked);
    CHECK(blocked.response().status == 429);
    CHECK(blocked.response().has_header("Retry-After"));
    CHECK(server.exchange(form_post("/login", "username=alice&password=wonderland")).response().status == 429);
}

STAGE_TEST(5, "successful logins do not use up the budget") {
    TestServer server;
    for (int i = 0; i < 7; ++i) CHECK_FALSE(log_in(server, "bob", "builder").empty());  // one more than it holds
}

STAGE_TEST(5, "without --users, the server says at start that new accounts live in memory only") {
    TestServer server;
    CHECK(server.log().find("memory only") != std::string::npos);
}

STAGE_TEST(5, "with --users FILE, an account survives a SIGKILL right after its 201") {
    const TempFolder folder("users");
    const std::string users = folder.file("users.txt");  // made by the server
    {
        TestServer server({"--users", users});
        CHECK(server.log().find("memory only") == std::string::npos);
        Exchange created = server.exchange(form_post("/register", "username=carol&password=correct+horse"));
        INFO(created);
        REQUIRE(created.response().status == 201);
        ::kill(server.pid(), SIGKILL);  // no chance to flush or tidy up anything
        int status = 0;
        ::waitpid(server.pid(), &status, 0);
        server.forget();
        CHECK(WIFSIGNALED(status));
    }
    TestServer again({"--users", users});
    CHECK_FALSE(log_in(again, "carol", "correct+horse").empty());
    CHECK(again.exchange(form_post("/register", "username=carol&password=another+one")).response().status == 409);
}

STAGE_TEST(5, "a torn last line in the users file: a warning naming it, and the other users load") {
    const TempFolder folder("users");
    const std::string users = folder.file("users.txt");
    // A crash while a registration was being written: half a line, no newline.
    std::ofstream(users) << "# users\n" << users_file_line("erin", "s3cret-pass") << "dave:user:pbkdf2-sha256$600000$AAAA";
    {
        TestServer server({"--users", users});
        INFO(server.log());
        CHECK(server.log().find("line 3") != std::string::npos);
        CHECK(server.log().find("cut short") != std::string::npos);
        CHECK_FALSE(log_in(server, "erin", "s3cret-pass").empty());
        CHECK(server.exchange(form_post("/register", "username=frank&password=long+enough")).response().status == 201);
    }
    TestServer again({"--users", users});
    INFO(again.log());
    CHECK(again.log().find("cut short") == std::string::npos);  // the file is whole again
    CHECK_FALSE(log_in(again, "frank", "long+enough").empty());
    CHECK_FALSE(log_in(again, "erin", "s3cret-pass").empty());
}

STAGE_TEST(6, "20 wrong passwords for bob at once: at most 6 are checked (401), the others get 429") {
    TestServer server;
    std::vector<int> statuses(20, 0);
    {
        std::vector<std::thread> clients;
        for (std::size_t i = 0; i < statuses.size(); ++i) {
            clients.emplace_back([&, i] {
                Connection connection = server.connect();
                connection.send(form_post("/login", "username=bob&password=guess" + std::to_string(i)));
                statuses[i] = connection.read_response(false, std::chrono::seconds(60)).status;
            });
        }
        for (std::thread& client : clients) client.join();
    }
    const auto checked = std::count(statuses.begin(), statuses.end(), 401);
    const auto refused = std::count(statuses.begin(), statuses.end(), 429);
    INFO("401: ", checked, ", 429: ", refused);
    CHECK(checked >= 1);
    CHECK(checked <= 6);
    CHECK(checked + refused == 20);
}
