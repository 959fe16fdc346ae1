// UserStore: who may log in, with which password, and in which role.
//
// Only password hashes are kept (see password.hpp), never the passwords.
// Two demo users exist from the start: alice / wonderland (admin) and
// bob / builder (user). `--users FILE` adds more, one per line:
//
//     # username:role:hash, as printed by `server --hash-password`
//     carol:user:pbkdf2-sha256$600000$3q2+7w...==$Zm9v...=
//
// POST /register adds users while the server runs; they live in memory
// only and are gone when it stops.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "password.hpp"

inline constexpr std::string_view kRoleAdmin = "admin";
inline constexpr std::string_view kRoleUser = "user";

// Usernames: 1 to 32 bytes of A-Z a-z 0-9 _ . -
// A name is shown in pages and logs and written into the users file, so
// it must not carry markup (<, &, "), control bytes, spaces, ':' (the
// file's separator) or '#' (its comments).
inline constexpr std::size_t kMaxUsernameBytes = 32;
inline constexpr std::string_view kUsernameRule = "1 to 32 of A-Z a-z 0-9 _ . -";

// Passwords: 8 to 128 bytes, anything else allowed (spaces, any UTF-8).
// 8 is NIST SP 800-63B's (2017) minimum, section 5.1.1.2; its 2024
// revision (SP 800-63B-4, section 3.1.1.2) asks for 15 when the password
// is the only factor: raise it for real use. No "one digit, one symbol"
// rules, which that guidance advises against. The upper bound is there
// because every byte is hashed at every login: Django once accepted
// megabyte passwords and a handful of logins could stall a server
// (CVE-2013-1443).
inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 128;

// Registration is open to anyone, so the number of users is bounded too.
inline constexpr std::size_t kMaxUsers = 10'000;

struct User {
    std::string name;
    std::string role;  // kRoleAdmin or kRoleUser
};

enum class AddResult {
    Added,         // 201 Created
    NameTaken,     // 409 Conflict
    BadName,       // 400 Bad Request
    BadPassword,   // 400 Bad Request
    TooManyUsers,  // 503 Service Unavailable: the store is full
};

bool valid_username(std::string_view name);
bool valid_password(std::string_view password);
bool valid_role(std::string_view role);

class UserStore {
public:
    // Starts with the demo users. `iterations` is the PBKDF2 cost for the
    // hashes this store makes; tests pass a small one to run fast.
    explicit UserStore(unsigned iterations = kDefaultIterations);

    // Adds the users of a users file. Throws std::runtime_error naming the
    // file and line ("users.txt line 3: unknown role 'root' ...") for the
    // first bad line; nothing is added then.
    void load_file(const std::string& path);

    // The user, if `password` is theirs; nothing for a wrong password and
    // for an unknown name alike, after the same amount of hashing.
    std::optional<User> authenticate(std::string_view name, std::string_view password) const;

    // For POST /register. Names differing only in case count as taken:
    // "Alice" next to "alice" would fool people reading names.
    // Throws std::invalid_argument for a role other than admin or user
    // (the role comes from the server's code, never from the client).
    AddResult add(std::string_view name, std::string_view password,
                  std::string_view role = kRoleUser);

    std::size_t size() const {
        const std::lock_guard lock(mutex_);
        return accounts_.size();
    }

private:
    // Stage 6: workers log in and register at the same time. The mutex
    // guards accounts_ only, and is never held while hashing: a third of a
    // second under a lock would make every other login wait in line.
    mutable std::mutex mutex_;

    struct Account {
        std::string name;  // as registered: "Alice"
        std::string role;
        std::string password_hash;
    };
    using Accounts = std::map<std::string, Account, std::less<>>;  // by lowercase name

    const Account* lookup(std::string_view name) const;

    unsigned iterations_;
    // A hash of a password nobody knows, checked when the name is unknown.
    std::string dummy_hash_;
    Accounts accounts_;
};

// The users-file line for a new user: "carol:user:pbkdf2-sha256$...".
// What `server --hash-password` prints. Throws std::invalid_argument with
// a message for a bad name, role or password.
std::string users_file_line(std::string_view name, std::string_view role,
                            std::string_view password, unsigned iterations = kDefaultIterations);
