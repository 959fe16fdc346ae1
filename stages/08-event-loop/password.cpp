#include "password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "strings.hpp"

namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kMaxSaltBytes = 64;
constexpr std::string_view kBase64Digits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Base64 (RFC 4648 section 4): printable, and free of the users file's ':'.
std::string to_base64(const unsigned char* bytes, std::size_t size) {
    std::string text(4 * ((size + 2) / 3) + 1, '\0');  // and the NUL it writes
    text.resize(static_cast<std::size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(text.data()), bytes, static_cast<int>(size))));
    return text;
}

// The stored form of `password` hashed with `salt`, which is used as the
// text it is stored as (as Django does).
std::string pbkdf2_sha256(std::string_view password, std::string_view salt, unsigned iterations) {
    // OpenSSL takes int lengths: a cast that wrapped would hash another string.
    if (password.size() > INT_MAX) throw std::invalid_argument("password too long");
    unsigned char hash[kHashBytes];
    if (PKCS5_PBKDF2_HMAC(password.empty() ? "" : password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()),
                          static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                          sizeof hash, hash) != 1) {
        throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
    }
    return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + std::string(salt) + "$" +
           to_base64(hash, sizeof hash);
}

// The salt and cost of a stored hash, if it has the form pbkdf2_sha256 makes.
std::optional<std::pair<std::string_view, unsigned>> salt_and_cost(std::string_view stored) {
    const std::vector<std::string_view> parts = split(stored, '$');
    if (parts.size() != 4 || parts[0] != kScheme) return std::nullopt;
    const auto iterations = parse_decimal(parts[1]);
    const std::string_view salt = parts[2];
    const std::string_view hash = parts[3];  // 32 bytes: 43 base64 digits and one '='
    if (!iterations || *iterations == 0 || *iterations > kMaxIterations ||
        std::to_string(*iterations) != parts[1] || salt.empty() || salt.size() > kMaxSaltBytes ||
        salt.find_first_not_of(std::string(kBase64Digits) + "=") != std::string_view::npos ||
        hash.size() != 44 || hash.find_first_not_of(kBase64Digits) != 43 || hash[43] != '=') {
        return std::nullopt;
    }
    return std::pair(salt, static_cast<unsigned>(*iterations));
}

}  // namespace

std::string hash_password(std::string_view password, unsigned iterations) {
    if (iterations == 0 || iterations > kMaxIterations) {
        throw std::invalid_argument("iterations must be from 1 to " + std::to_string(kMaxIterations));
    }
    unsigned char salt[kSaltBytes];  // from OpenSSL's CSPRNG, seeded by the kernel; never rand()
    if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("RAND_bytes failed");
    return pbkdf2_sha256(password, to_base64(salt, sizeof salt), iterations);
}

bool verify_password(std::string_view password, std::string_view stored) {
    const auto parsed = salt_and_cost(stored);
    if (!parsed) return false;
    const std::string computed = pbkdf2_sha256(password, parsed->first, parsed->second);
    // CRYPTO_memcmp looks at every byte; memcmp stops at the first
    // difference, and its timing would tell how much of a guess was right.
    return computed.size() == stored.size() &&
           CRYPTO_memcmp(computed.data(), stored.data(), stored.size()) == 0;
}

bool is_password_hash(std::string_view stored) { return salt_and_cost(stored).has_value(); }
