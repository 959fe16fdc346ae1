// UserStore: who may log in, with which password, in which role. The demo
// users alice / wonderland (admin) and bob / builder are always there.
// With --users FILE, more are loaded from FILE, one line each, and every
// registration is appended to it; without, new accounts live in memory only.
//
//     carol:user:pbkdf2-sha256$600000$3q2+7w...==$Zm9v...=
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "fd.hpp"
#include "password.hpp"

inline constexpr std::string_view kRoleAdmin = "admin";
inline constexpr std::string_view kRoleUser = "user";
// A name goes into pages, logs and the users file, so it is only made of
// A-Z a-z 0-9 _ . - : no markup, no spaces, no ':'.
inline constexpr std::size_t kMaxUsernameBytes = 32;
// 8: NIST SP 800-63B section 5.1.1.2. 128: every byte is hashed at every
// login, and a megabyte password must not cost a server (CVE-2013-1443).
inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 128;

bool valid_username(std::string_view name);
bool valid_password(std::string_view password);
// "a username is 1 to 32 of A-Z a-z 0-9 _ . -; a password is 8 to 128 bytes"
std::string account_rules();

struct User {
    std::string name;
    std::string role;  // kRoleAdmin or kRoleUser
};

enum class AddResult { Added, NameTaken, Invalid };

class UserStore {
public:
    // `iterations`: the cost of new hashes; tests pass a small one.
    explicit UserStore(unsigned iterations = kDefaultIterations);

    // Loads `path` (made if missing); appends later registrations to it.
    // Throws std::runtime_error naming a bad line. A bad last line without
    // its newline is a write a crash cut short: it is cut off, and the
    // returned warning names it.
    std::string open_file(const std::string& path);

    // The user, if the password is theirs. An unknown name costs the same
    // hashing as a wrong password: a quicker 401 would say who exists.
    std::optional<User> authenticate(std::string_view name, std::string_view password) const;

    // "Alice" is taken when "alice" exists. The line is on disk before Added.
    AddResult add(std::string_view name, std::string_view password);

    std::size_t size() const { const std::lock_guard lock(mutex_); return accounts_.size(); }

private:
    struct Account {
        std::string name;  // as registered: "Alice"
        std::string role;
        std::string password_hash;
    };
    using Accounts = std::map<std::string, Account, std::less<>>;  // by lowercase name

    static std::string read_line(std::string_view line, Accounts& accounts);
    void append_to_file(const Account& account) const;

    // Stage 6: workers log in and register at the same time. The lock is never held while
    // hashing: a fifth of a second under it would make every other login queue. It is held
    // while a line is written, so that two registrations never mix their lines.
    mutable std::mutex mutex_;
    unsigned iterations_;
    Accounts accounts_;
    Fd file_;  // the users file, open for appending
};
