#include "users.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "errors.hpp"
#include "strings.hpp"

bool valid_username(std::string_view name) {
    constexpr std::string_view kAllowed =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
    return !name.empty() && name.size() <= kMaxUsernameBytes &&
           name.find_first_not_of(kAllowed) == std::string_view::npos;
}

bool valid_password(std::string_view password) {
    return password.size() >= kMinPasswordBytes && password.size() <= kMaxPasswordBytes;
}

std::string account_rules() {
    return "a username is 1 to " + std::to_string(kMaxUsernameBytes) + " of A-Z a-z 0-9 _ . -; " +
           "a password is " + std::to_string(kMinPasswordBytes) + " to " +
           std::to_string(kMaxPasswordBytes) + " bytes";
}

namespace {

// The demo users' hashes, made once (hashing at every start takes a second),
// and one of a password nobody knows, checked when a name is unknown.
constexpr std::string_view kAliceHash = "pbkdf2-sha256$600000$K2N0TvE/rSYwMMI4BUzsYQ==$OOawBrYCAH2QAwpCGjXHcs0QC/m1ZpywFpwaF5+ybg8=";
constexpr std::string_view kBobHash = "pbkdf2-sha256$600000$M9cLlCIB7wAJhUz5/sim0w==$Jo598Jc7sYMbQJ4r72BKuFh8VXrzlmiyfCBIKFrxyMs=";
constexpr std::string_view kDummyHash = "pbkdf2-sha256$600000$lJmtoTY9UlquY60tYnHDyg==$69o3BwqxWaDUzVJi3aKEwe7fEuaaEbuFRWNAJYVJMzg=";

}  // namespace

UserStore::UserStore(unsigned iterations) : iterations_(iterations) {
    // Not through add(): "builder" is shorter than the rules allow.
    accounts_["alice"] = Account{"alice", std::string(kRoleAdmin), std::string(kAliceHash)};
    accounts_["bob"] = Account{"bob", std::string(kRoleUser), std::string(kBobHash)};
}

std::optional<User> UserStore::authenticate(std::string_view name,
                                            std::string_view password) const {
    if (password.size() > kMaxPasswordBytes) return std::nullopt;  // says nothing about the name
    std::optional<Account> account;  // found by the lowercase name, taken only as registered
    {
        const std::lock_guard lock(mutex_);  // a copy, so that the hashing runs unlocked
        const auto found = accounts_.find(ascii_lower(name));
        if (found != accounts_.end() && found->second.name == name) account = found->second;
    }
    const bool matches = verify_password(password, account ? account->password_hash : kDummyHash);
    if (!account || !matches) return std::nullopt;
    return User{account->name, account->role};
}

AddResult UserStore::add(std::string_view name, std::string_view password) {
    if (!valid_username(name) || !valid_password(password)) return AddResult::Invalid;
    std::string key = ascii_lower(name);
    {
        const std::lock_guard lock(mutex_);
        if (accounts_.contains(key)) return AddResult::NameTaken;
    }
    // Hash unlocked, then check again: another worker may have taken the
    // name meanwhile.
    Account account{std::string(name), std::string(kRoleUser), hash_password(password, iterations_)};
    const std::lock_guard lock(mutex_);
    if (accounts_.contains(key)) return AddResult::NameTaken;
    if (file_.valid()) append_to_file(account);
    accounts_[std::move(key)] = std::move(account);
    return AddResult::Added;
}

// One write(2) of the whole line, at the end (O_APPEND), then fsync(2): the
// 201 goes out once the line is on the disk. A crash during the write
// leaves at most a torn last line, which open_file recognises.
void UserStore::append_to_file(const Account& account) const {
    const std::string line = account.name + ":" + account.role + ":" + account.password_hash + "\n";
    const ssize_t written = ::write(file_.get(), line.data(), line.size());
    if (written < 0 || ::fsync(file_.get()) < 0) throw_errno("writing the users file");
    if (static_cast<std::size_t>(written) != line.size()) throw std::runtime_error("users file full");
}

std::string UserStore::open_file(const std::string& path) {
    Fd file(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    std::ifstream in(path, std::ios::binary);
    if (!file.valid() || !in) throw std::runtime_error(path + ": " + std::strerror(errno));
    const std::string text{std::istreambuf_iterator<char>(in), {}};

    Accounts accounts = accounts_;  // a file with a bad line adds nobody
    std::string warning;
    for (std::size_t start = 0, number = 1; start < text.size(); ++number) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string problem = read_line(text.substr(start, end - start), accounts);
        const std::string where = path + " line " + std::to_string(number);
        if (!problem.empty() && end < text.size()) throw std::runtime_error(where + ": " + problem);
        if (!problem.empty()) {  // the last line, without its newline: torn
            warning = where + " was cut short (a crash while writing it?): left out, and cut off";
            if (::ftruncate(file.get(), static_cast<off_t>(start)) < 0) throw_errno(path);
        } else if (end == text.size() && ::write(file.get(), "\n", 1) != 1) {
            throw_errno(path);  // a good last line without a newline: end it before appending
        }
        start = end + 1;
    }
    accounts_ = std::move(accounts);
    file_ = std::move(file);
    return warning;
}

// What is wrong with a line of a users file ("" if nothing); adds its user.
std::string UserStore::read_line(std::string_view line, Accounts& accounts) {
    if (line.ends_with('\r')) line.remove_suffix(1);  // a file saved with CRLF line ends
    line = trim_ows(line);
    if (line.empty() || line.starts_with('#')) return "";
    const std::vector<std::string_view> f = split(line, ':');
    if (f.size() != 3 || !valid_username(f[0]) || (f[1] != kRoleAdmin && f[1] != kRoleUser) ||
        !is_password_hash(f[2])) {
        return "expected name:role:hash, where " + account_rules() +
               ", the role admin or user, and the hash as the server writes it";
    }
    const Account account{std::string(f[0]), std::string(f[1]), std::string(f[2])};
    if (accounts.try_emplace(ascii_lower(f[0]), account).second) return "";
    return "user '" + account.name + "' already exists";
}
