// The user store (stage 5): demo users, a users file that keeps every
// registration, and logins that take as long for unknown names as for
// known ones.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "users.hpp"

namespace {

// Few iterations keep the tests fast; the rules do not depend on the count.
// (The demo users' hashes always have the full cost.)
constexpr unsigned kFast = 1000;

// A users file that exists for one test.
class TempFile {
public:
    explicit TempFile(const std::string& content) {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("users_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~TempFile() { std::filesystem::remove(path_); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    std::string path() const { return path_.string(); }
    std::string content() const {
        std::ifstream in(path_, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    std::filesystem::path path_;
};

// The message open_file throws for `content`, or "" if it loads.
std::string load_error(UserStore& users, const std::string& content) {
    const TempFile file(content);
    try {
        users.open_file(file.path());
        return "";
    } catch (const std::runtime_error& error) {
        return error.what();
    }
}

// The role a login gets, or "refused".
std::string role_after_login(const UserStore& users, std::string_view name,
                             std::string_view password) {
    const auto user = users.authenticate(name, password);
    return user ? user->role : "refused";
}

// A users-file line, "carol:user:pbkdf2-sha256$...".
std::string line_for(std::string_view name, std::string_view role, std::string_view password) {
    return std::string(name) + ":" + std::string(role) + ":" + hash_password(password, kFast);
}

}  // namespace

TEST_CASE("the demo users log in with their passwords and roles") {
    const UserStore users(kFast);
    const auto alice = users.authenticate("alice", "wonderland");
    REQUIRE(alice);
    CHECK(alice->name == "alice");
    CHECK(alice->role == "admin");
    const auto bob = users.authenticate("bob", "builder");
    REQUIRE(bob);
    CHECK(bob->role == "user");
    CHECK(users.size() == 2);
}

TEST_CASE("a wrong password, a wrong name or the wrong case get nothing") {
    const UserStore users(kFast);
    CHECK_FALSE(users.authenticate("alice", "builder"));
    CHECK_FALSE(users.authenticate("alice", "Wonderland"));
    CHECK_FALSE(users.authenticate("carol", "wonderland"));
    CHECK_FALSE(users.authenticate("Alice", "wonderland"));
    CHECK_FALSE(users.authenticate("", ""));
    CHECK_FALSE(users.authenticate("alice", std::string(1 << 20, 'x')));
}

TEST_CASE("an unknown name costs as much hashing time as a known one") {
    // Without the dummy hash an unknown name would be refused in
    // microseconds instead of a fifth of a second. CPU time, not wall time:
    // other programs running at the same moment must not decide the outcome.
    const UserStore users(kFast);
    const auto cpu_time_of_login = [&](const char* name) {
        std::clock_t best = std::numeric_limits<std::clock_t>::max();
        for (int i = 0; i < 2; ++i) {
            const std::clock_t start = std::clock();
            CHECK_FALSE(users.authenticate(name, "not the password"));
            best = std::min(best, std::clock() - start);
        }
        return best;
    };
    const std::clock_t known = cpu_time_of_login("alice");
    const std::clock_t unknown = cpu_time_of_login("nobody");
    CHECK(unknown * 2 > known);
    CHECK(known * 2 > unknown);
}

TEST_CASE("add registers a user, who can then log in") {
    UserStore users(kFast);
    CHECK(users.add("carol", "correct horse") == AddResult::Added);
    CHECK(role_after_login(users, "carol", "correct horse") == "user");  // never admin
    CHECK(users.size() == 3);
}

TEST_CASE("add refuses a taken name, also in another case") {
    UserStore users(kFast);
    CHECK(users.add("alice", "another password") == AddResult::NameTaken);
    CHECK(users.add("ALICE", "another password") == AddResult::NameTaken);
    CHECK(users.add("Carol", "password one") == AddResult::Added);
    CHECK(users.add("carol", "password two") == AddResult::NameTaken);
    CHECK_FALSE(users.authenticate("alice", "another password"));
    CHECK(users.authenticate("Carol", "password one"));
    CHECK_FALSE(users.authenticate("carol", "password one"));  // logins use the exact name
}

TEST_CASE("usernames: 1 to 32 of A-Z a-z 0-9 _ . -") {
    UserStore users(kFast);
    CHECK(users.add("a", "password") == AddResult::Added);
    CHECK(users.add(std::string(32, 'n'), "password") == AddResult::Added);
    CHECK(users.add("Mix_of.all-9", "password") == AddResult::Added);
    for (const std::string bad : {"", "has space", "colon:name", "#comment", "<script>", "tab\t",
                                  "J\xc3\xbcrgen", "new\nline", "slash/", "quote\""}) {
        INFO("name: ", bad);
        CHECK(users.add(bad, "password") == AddResult::Invalid);
    }
    CHECK(users.add(std::string(33, 'n'), "password") == AddResult::Invalid);
    // Every byte, one at a time: only the 65 allowed ones pass.
    int allowed = 0;
    for (int byte = 0; byte < 256; ++byte) {
        const char c = static_cast<char>(byte);
        const bool expected = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        INFO("byte ", byte);
        CHECK(valid_username(std::string("a") + c + "b") == expected);
        allowed += expected ? 1 : 0;
    }
    CHECK(allowed == 65);
}

TEST_CASE("passwords: 8 to 128 bytes, and the rule says so") {
    UserStore users(kFast);
    CHECK(users.add("u1", "1234567") == AddResult::Invalid);
    CHECK(users.add("u2", "12345678") == AddResult::Added);
    CHECK(users.add("u3", std::string(128, 'p')) == AddResult::Added);
    CHECK(users.add("u4", std::string(129, 'p')) == AddResult::Invalid);
    CHECK(users.add("u5", "spaces and \xc3\xbc are fine") == AddResult::Added);
    CHECK(users.authenticate("u3", std::string(128, 'p')));
    CHECK(account_rules().find("8 to 128 bytes") != std::string::npos);
    CHECK(account_rules().find("1 to 32 of") != std::string::npos);
}

TEST_CASE("a users-file line is name:role:hash, and open_file reads it") {
    const std::string line = line_for("carol", "user", "correct horse");
    CHECK(line.starts_with("carol:user:pbkdf2-sha256$1000$"));
    UserStore users(kFast);
    CHECK(load_error(users, line + "\n") == "");
    CHECK(role_after_login(users, "carol", "correct horse") == "user");
}

TEST_CASE("open_file skips comments and blank lines, and accepts CRLF and spaces") {
    UserStore users(kFast);
    const std::string content = "# users of the course server\n\n   \n" +
                                line_for("carol", "user", "password one") + "\r\n" +
                                "  # an indented comment\n" + "  " +
                                line_for("dave", "admin", "password two") + "  \n";
    CHECK(load_error(users, content) == "");
    CHECK(users.size() == 4);  // alice and bob stay
    CHECK(role_after_login(users, "carol", "password one") == "user");
    CHECK(role_after_login(users, "dave", "password two") == "admin");
}

TEST_CASE("open_file names the file and line of the first bad line, and adds nobody") {
    UserStore users(kFast);
    const std::string good = line_for("carol", "user", "password one");
    const std::string hash = good.substr(good.rfind(':') + 1);
    const struct {
        std::string content;
        std::string expected;
    } cases[] = {
        {"# header\n" + good + "\ncarol:user\n", "line 3: expected name:role:hash"},
        {"dave:user:" + hash + ":extra\n", "line 1: expected name:role:hash"},
        {"\n\nbad name:user:" + hash + "\n", "line 3: expected name:role:hash"},
        {"dave:root:" + hash + "\n", "line 1: expected name:role:hash"},
        {"dave:user:plaintext-password\n", "line 1: expected name:role:hash"},
        {"dave:user:pbkdf2-sha256$0$AAAA$AAAA\n", "line 1: expected"},
        {"alice:user:" + hash + "\n", "line 1: user 'alice' already exists"},
        {good + "\n" + good + "\n", "line 2: user 'carol' already exists"},
        {good + "\nCAROL:user:" + hash + "\n", "line 2: user 'CAROL' already exists"},
    };
    for (const auto& [content, expected] : cases) {
        INFO("file: ", content);
        const std::string error = load_error(users, content);
        CHECK(error.find(expected) != std::string::npos);
        CHECK(error.find("users_test_") != std::string::npos);  // the file is named
        CHECK(users.size() == 2);                               // nothing added
        CHECK_FALSE(users.authenticate("carol", "password one"));
    }
}

TEST_CASE("open_file reports a file it cannot open") {
    UserStore users(kFast);
    CHECK_THROWS_AS(users.open_file("/nonexistent/users.txt"), std::runtime_error);
    CHECK_THROWS_AS(users.open_file(std::filesystem::temp_directory_path().string()),
                    std::runtime_error);
    CHECK(users.size() == 2);
}

TEST_CASE("with a users file, a registration is appended to it, and the next start finds it") {
    const TempFile file("# users\n" + line_for("carol", "user", "password one") + "\n");
    {
        UserStore users(kFast);
        CHECK(users.open_file(file.path()) == "");
        CHECK(users.add("dave", "password two") == AddResult::Added);
        CHECK(users.add("carol", "password three") == AddResult::NameTaken);
    }
    const std::string content = file.content();
    CHECK(content.find("\ndave:user:pbkdf2-sha256$1000$") != std::string::npos);
    CHECK(content.ends_with("\n"));
    UserStore again(kFast);
    CHECK(again.open_file(file.path()) == "");
    CHECK(role_after_login(again, "dave", "password two") == "user");
    CHECK(role_after_login(again, "carol", "password one") == "user");
}

TEST_CASE("a users file that does not exist yet is made") {
    const TempFile dir("");
    const std::string path = dir.path() + ".new";
    {
        UserStore users(kFast);
        CHECK(users.open_file(path) == "");
        CHECK(users.add("erin", "password one") == AddResult::Added);
    }
    UserStore again(kFast);
    again.open_file(path);
    CHECK(again.authenticate("erin", "password one"));
    std::filesystem::remove(path);
}

TEST_CASE("a torn last line (a crash during its write) is left out, named, and cut off") {
    const std::string carol = line_for("carol", "user", "password one");
    const std::string dave = line_for("dave", "user", "password two");
    const TempFile file(carol + "\n" + dave.substr(0, dave.size() / 2));  // no newline: torn
    {
        UserStore users(kFast);
        const std::string warning = users.open_file(file.path());
        CHECK(warning.find("users_test_") != std::string::npos);
        CHECK(warning.find("line 2") != std::string::npos);
        CHECK(warning.find("cut short") != std::string::npos);
        CHECK(users.authenticate("carol", "password one"));  // the rest loads
        CHECK(users.size() == 3);
        CHECK(file.content() == carol + "\n");  // the next line starts on a line of its own
        CHECK(users.add("erin", "password three") == AddResult::Added);
    }
    UserStore again(kFast);
    CHECK(again.open_file(file.path()) == "");
    CHECK(again.authenticate("erin", "password three"));
    CHECK(again.size() == 4);
}

TEST_CASE("a good last line without its newline is kept, and ended before the next one") {
    const std::string carol = line_for("carol", "user", "password one");
    const TempFile file("# hand-written\n" + carol);
    {
        UserStore users(kFast);
        CHECK(users.open_file(file.path()) == "");
        CHECK(users.authenticate("carol", "password one"));
        CHECK(users.add("dave", "password two") == AddResult::Added);
    }
    UserStore again(kFast);
    CHECK(again.open_file(file.path()) == "");
    CHECK(again.authenticate("carol", "password one"));
    CHECK(again.authenticate("dave", "password two"));
}

#if COURSE_STAGE >= 6
TEST_CASE("registrations on several threads at once never mix their lines") {
    const TempFile file("");
    {
        UserStore users(kFast);
        users.open_file(file.path());
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&users, t] {
                for (int i = 0; i < 25; ++i) {
                    CHECK(users.add("u" + std::to_string(t) + "_" + std::to_string(i), "password") ==
                          AddResult::Added);
                }
            });
        }
        for (std::thread& thread : threads) thread.join();
    }
    UserStore again(kFast);
    CHECK(again.open_file(file.path()) == "");  // every line whole
    CHECK(again.size() == 2 + 8 * 25);
}
#endif
