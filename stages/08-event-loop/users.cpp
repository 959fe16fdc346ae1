#include "users.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "strings.hpp"

bool valid_username(std::string_view name) {
    if (name.empty() || name.size() > kMaxUsernameBytes) return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool valid_password(std::string_view password) {
    return password.size() >= kMinPasswordBytes && password.size() <= kMaxPasswordBytes;
}

bool valid_role(std::string_view role) { return role == kRoleAdmin || role == kRoleUser; }

namespace {

// The demo accounts' hashes at the default cost, made once with
// hash_password() and kept here as a user database would keep them: hashing
// them at every start would cost the server a second before it could listen.
constexpr std::string_view kAliceHash = "pbkdf2-sha256$600000$siaMHG1DM5Kwy7lxfzx0TQ==$2MuVJcVvQphsJ3lFzF8KrXEiJ4wZltwKdPw3uhGoDOQ=";
constexpr std::string_view kBobHash = "pbkdf2-sha256$600000$1dmTFm7ss106b/aLCOLyRg==$HSdMhYqz9uYGL/CYUsxmwvuNZafpSBpD/oJCG5Cy55k=";
constexpr std::string_view kDummyHash = "pbkdf2-sha256$600000$gcG9gYjlPGnFduDtkWJcpA==$0lsRfrc4yMiKbRo4+mn9dowrCUMoMpBcjjgIakWSVCg=";

}  // namespace

UserStore::UserStore(unsigned iterations) : iterations_(iterations) {
    // Tests pick a lower cost to run fast; then the hashes are made here.
    const bool default_cost = iterations == kDefaultIterations;
    auto hashed = [&](std::string_view password, std::string_view precomputed) {
        return default_cost ? std::string(precomputed) : hash_password(password, iterations);
    };
    dummy_hash_ = hashed("not a password: only here to take time", kDummyHash);
    // Set directly, not through add(): the demo passwords come from the
    // course text and "builder" is shorter than the rules allow.
    accounts_["alice"] = Account{"alice", std::string(kRoleAdmin), hashed("wonderland", kAliceHash)};
    accounts_["bob"] = Account{"bob", std::string(kRoleUser), hashed("builder", kBobHash)};
}

// The account called exactly `name`. The map is keyed by the lowercase
// name (so that "Alice" and "alice" cannot both exist); logging in still
// takes the name exactly as registered. Call it with mutex_ held.
const UserStore::Account* UserStore::lookup(std::string_view name) const {
    const auto found = accounts_.find(ascii_lower(name));
    return found != accounts_.end() && found->second.name == name ? &found->second : nullptr;
}

// ANCHOR: authenticate
std::optional<User> UserStore::authenticate(std::string_view name,
                                            std::string_view password) const {
    // Refused before any hashing (see kMaxPasswordBytes). This depends on
    // the password's length only, so it tells nothing about the name.
    if (password.size() > kMaxPasswordBytes) return std::nullopt;
    std::optional<Account> account;  // a copy, so the hashing below runs unlocked
    {
        const std::lock_guard lock(mutex_);
        if (const Account* found = lookup(name)) account = *found;
    }
    // An unknown name costs the same hashing as a known one. Otherwise a
    // quick 401 would mean "no such user" and a slow one "wrong password",
    // and an attacker could list the accounts before guessing a single
    // password. The dummy hash uses this store's iteration count, the same
    // as every hash the store makes. (This server's POST /register answers
    // 409 for a taken name, which tells the same thing; the habit matters
    // where sign-up is closed or checked by other means.)
    const bool matches = verify_password(password, account ? account->password_hash : dummy_hash_);
    if (!account || !matches) return std::nullopt;
    return User{account->name, account->role};
}
// ANCHOR_END: authenticate

// ANCHOR: add
AddResult UserStore::add(std::string_view name, std::string_view password, std::string_view role) {
    if (!valid_role(role)) throw std::invalid_argument("unknown role '" + escape_bytes(role) + "'");
    if (!valid_username(name)) return AddResult::BadName;
    if (!valid_password(password)) return AddResult::BadPassword;
    std::string key = ascii_lower(name);
    {
        const std::lock_guard lock(mutex_);
        if (accounts_.contains(key)) return AddResult::NameTaken;
    }
    // Hash unlocked, then check again: another worker may have taken the
    // name meanwhile.
    Account account{std::string(name), std::string(role), hash_password(password, iterations_)};
    const std::lock_guard lock(mutex_);
    if (accounts_.contains(key)) return AddResult::NameTaken;
    if (accounts_.size() >= kMaxUsers) return AddResult::TooManyUsers;
    accounts_[std::move(key)] = std::move(account);
    return AddResult::Added;
}
// ANCHOR_END: add

// ANCHOR: load_file
void UserStore::load_file(const std::string& path) {
    std::ifstream file(path);
    if (!file) throw std::runtime_error(path + ": " + std::strerror(errno));

    // Lines go into a copy first: a file with one bad line adds nobody.
    const std::lock_guard lock(mutex_);
    Accounts accounts = accounts_;
    std::string line;
    for (int number = 1; std::getline(file, line); ++number) {
        const auto fail = [&](const std::string& problem) {
            throw std::runtime_error(path + " line " + std::to_string(number) + ": " + problem);
        };
        if (line.ends_with('\r')) line.pop_back();  // a file saved with CRLF line ends
        const std::string_view text = trim_ows(line);
        if (text.empty() || text.starts_with('#')) continue;

        const std::vector<std::string_view> fields = split(text, ':');
        if (fields.size() != 3) fail("expected username:role:hash");
        const std::string_view name = trim_ows(fields[0]);
        const std::string_view role = trim_ows(fields[1]);
        const std::string_view hash = trim_ows(fields[2]);
        if (!valid_username(name)) {
            fail("bad username '" + escape_bytes(name) + "' (" + std::string(kUsernameRule) + ")");
        }
        if (!valid_role(role)) fail("unknown role '" + escape_bytes(role) + "' (admin or user)");
        if (!is_password_hash(hash)) {
            fail("the hash is not pbkdf2-sha256$ITERATIONS$SALT$HASH (make a line with "
                 "server --hash-password)");
        }
        std::string key = ascii_lower(name);
        if (accounts.contains(key)) fail("user '" + std::string(name) + "' already exists");
        if (accounts.size() >= kMaxUsers) fail("more than " + std::to_string(kMaxUsers) + " users");
        accounts[std::move(key)] = Account{std::string(name), std::string(role), std::string(hash)};
    }
    // getline stops at the end of the file, and also on a read error
    // (a directory, a disk failing): only the first is a success.
    if (file.bad()) throw std::runtime_error(path + ": read error");
    accounts_ = std::move(accounts);
}
// ANCHOR_END: load_file

std::string users_file_line(std::string_view name, std::string_view role,
                            std::string_view password, unsigned iterations) {
    if (!valid_username(name)) {
        throw std::invalid_argument("bad username '" + escape_bytes(name) + "' (" +
                                    std::string(kUsernameRule) + ")");
    }
    if (!valid_role(role)) {
        throw std::invalid_argument("unknown role '" + escape_bytes(role) + "' (admin or user)");
    }
    if (!valid_password(password)) {
        throw std::invalid_argument("a password must have " + std::to_string(kMinPasswordBytes) +
                                    " to " + std::to_string(kMaxPasswordBytes) + " bytes");
    }
    return std::string(name) + ":" + std::string(role) + ":" + hash_password(password, iterations);
}
