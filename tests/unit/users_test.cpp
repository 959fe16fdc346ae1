// The user store (stage 5): demo users, a users file, registration, and
// logins that take as long for unknown names as for known ones.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include "users.hpp"

namespace {

// Few iterations keep the tests fast; the rules do not depend on the count.
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

private:
    std::filesystem::path path_;
};

// The message load_file throws for `content`, or "" if it loads.
std::string load_error(UserStore& users, const std::string& content) {
    const TempFile file(content);
    try {
        users.load_file(file.path());
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
    CHECK_FALSE(users.authenticate("alice", ""));
    CHECK_FALSE(users.authenticate("carol", "wonderland"));
    CHECK_FALSE(users.authenticate("Alice", "wonderland"));
    CHECK_FALSE(users.authenticate("", ""));
    CHECK_FALSE(users.authenticate("alice", std::string(1 << 20, 'x')));
}

TEST_CASE("an unknown name costs as much hashing time as a known one") {
    // With a real cost the difference is plain: without the dummy hash an
    // unknown name is refused in microseconds instead of milliseconds.
    // CPU time, not wall time: other programs running at the same moment
    // must not decide the outcome.
    const UserStore users(50'000);
    const auto cpu_time_of_login = [&](const char* name) {
        std::clock_t best = std::numeric_limits<std::clock_t>::max();
        for (int i = 0; i < 3; ++i) {
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

TEST_CASE("add registers a user who can then log in") {
    UserStore users(kFast);
    CHECK(users.add("carol", "correct horse") == AddResult::Added);
    const auto carol = users.authenticate("carol", "correct horse");
    REQUIRE(carol);
    CHECK(carol->role == "user");  // the default: a client never picks its role
    CHECK(users.add("dave", "admin password", kRoleAdmin) == AddResult::Added);
    CHECK(role_after_login(users, "dave", "admin password") == "admin");
    CHECK(users.size() == 4);
}

TEST_CASE("add refuses a taken name, also in another case") {
    UserStore users(kFast);
    CHECK(users.add("alice", "another password") == AddResult::NameTaken);
    CHECK(users.add("ALICE", "another password") == AddResult::NameTaken);
    CHECK(users.add("Carol", "password one") == AddResult::Added);
    CHECK(users.add("carol", "password two") == AddResult::NameTaken);
    CHECK(users.authenticate("alice", "wonderland"));  // unchanged
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
        CHECK(users.add(bad, "password") == AddResult::BadName);
    }
    CHECK(users.add(std::string(33, 'n'), "password") == AddResult::BadName);
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

TEST_CASE("passwords: 8 to 128 bytes") {
    UserStore users(kFast);
    CHECK(users.add("u1", "1234567") == AddResult::BadPassword);
    CHECK(users.add("u2", "12345678") == AddResult::Added);
    CHECK(users.add("u3", std::string(128, 'p')) == AddResult::Added);
    CHECK(users.add("u4", std::string(129, 'p')) == AddResult::BadPassword);
    CHECK(users.add("u5", "spaces and \xc3\xbc are fine") == AddResult::Added);
    CHECK(users.authenticate("u3", std::string(128, 'p')));
    CHECK(users.add("bad name", "short") == AddResult::BadName);  // the name is checked first
}

TEST_CASE("add refuses an unknown role: it is the server's bug, not the client's") {
    UserStore users(kFast);
    CHECK_THROWS_AS(users.add("eve", "password", "root"), std::invalid_argument);
}

TEST_CASE("the number of users is bounded") {
    UserStore users(1);
    std::size_t added = 0;
    while (users.add("user" + std::to_string(added), "password") == AddResult::Added) ++added;
    CHECK(users.size() == kMaxUsers);
    CHECK(users.add("one_more", "password") == AddResult::TooManyUsers);
}

TEST_CASE("users_file_line makes a line that load_file reads") {
    const std::string line = users_file_line("carol", "user", "correct horse", kFast);
    CHECK(line.starts_with("carol:user:pbkdf2-sha256$1000$"));
    CHECK(line.find('\n') == std::string::npos);
    UserStore users(kFast);
    CHECK(load_error(users, line + "\n") == "");
    CHECK(users.authenticate("carol", "correct horse"));
}

TEST_CASE("users_file_line checks name, role and password") {
    CHECK_THROWS_AS(users_file_line("bad name", "user", "password", kFast), std::invalid_argument);
    CHECK_THROWS_AS(users_file_line("carol", "root", "password", kFast), std::invalid_argument);
    CHECK_THROWS_AS(users_file_line("carol", "user", "short", kFast), std::invalid_argument);
}

TEST_CASE("load_file skips comments and blank lines, and accepts CRLF and spaces") {
    UserStore users(kFast);
    const std::string content = "# users of the course server\n"
                                "\n"
                                "   \n" +
                                users_file_line("carol", "user", "password one", kFast) + "\r\n" +
                                "  # an indented comment\n" + "  " +
                                users_file_line("dave", "admin", "password two", kFast) + "  \n";
    CHECK(load_error(users, content) == "");
    CHECK(users.size() == 4);  // alice and bob stay
    CHECK(role_after_login(users, "carol", "password one") == "user");
    CHECK(role_after_login(users, "dave", "password two") == "admin");
    CHECK(users.authenticate("alice", "wonderland"));
}

TEST_CASE("load_file names the file and line of the first bad line, and adds nobody") {
    UserStore users(kFast);
    const std::string good = users_file_line("carol", "user", "password one", kFast);
    const std::string hash = good.substr(good.rfind(':') + 1);
    const struct {
        std::string content;
        std::string expected;
    } cases[] = {
        {"# header\n" + good + "\ncarol:user\n", "line 3: expected username:role:hash"},
        {"dave:user:" + hash + ":extra\n", "line 1: expected username:role:hash"},
        {"\n\nbad name:user:" + hash + "\n", "line 3: bad username 'bad name'"},
        {"dave:root:" + hash + "\n", "line 1: unknown role 'root'"},
        {"dave:user:plaintext-password\n", "line 1: the hash is not"},
        {"dave:user:pbkdf2-sha256$0$AAAA$AAAA\n", "line 1: the hash is not"},
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

TEST_CASE("load_file reports a file it cannot read") {
    UserStore users(kFast);
    CHECK_THROWS_AS(users.load_file("/nonexistent/users.txt"), std::runtime_error);
    CHECK_THROWS_AS(users.load_file(std::filesystem::temp_directory_path().string()),
                    std::runtime_error);
    CHECK(users.size() == 2);
}
