#include "password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <stdexcept>
#include <vector>

#include "strings.hpp"

namespace {

using Bytes = std::vector<unsigned char>;

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kMaxSaltBytes = 64;

// Base64 (RFC 4648 section 4): every 3 bytes become 4 characters of this
// alphabet, and '=' pads the last group. It keeps binary salts and hashes
// printable, and free of the ':' that separates fields in a users file.
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const Bytes& bytes) {
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);  // bytes in this group
        unsigned group = static_cast<unsigned>(bytes[i]) << 16;
        if (n > 1) group |= static_cast<unsigned>(bytes[i + 1]) << 8;
        if (n > 2) group |= bytes[i + 2];
        for (std::size_t k = 0; k < 4; ++k) {
            out += k <= n ? kBase64Alphabet[(group >> (18 - 6 * k)) & 63] : '=';
        }
    }
    return out;
}

// Strict on purpose: the length must be a multiple of 4, and '=' may only
// pad the end. Anything else means the stored string was damaged.
std::optional<Bytes> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    Bytes out;
    unsigned group = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::size_t value = 0;  // a padding '=' counts as zero bits
        if (i < text.size() - padding) {
            value = kBase64Alphabet.find(text[i]);
            if (value == std::string_view::npos) return std::nullopt;
        }
        group = (group << 6) | static_cast<unsigned>(value);
        if (i % 4 == 3) {
            out.push_back(static_cast<unsigned char>(group >> 16));
            out.push_back(static_cast<unsigned char>(group >> 8));
            out.push_back(static_cast<unsigned char>(group));
            group = 0;
        }
    }
    for (std::size_t i = 0; i < padding; ++i) out.pop_back();  // the bytes '=' stood for
    return out;
}

// ANCHOR: pbkdf2
Bytes pbkdf2_sha256(std::string_view password, const Bytes& salt, unsigned iterations) {
    // OpenSSL takes int lengths. No form sends a 2 GB password, but a cast
    // that silently wrapped around would hash some other string.
    if (password.size() > INT_MAX) throw std::invalid_argument("password too long");
    Bytes hash(kHashBytes);
    const int ok = PKCS5_PBKDF2_HMAC(password.empty() ? "" : password.data(),
                                     static_cast<int>(password.size()), salt.data(),
                                     static_cast<int>(salt.size()), static_cast<int>(iterations),
                                     EVP_sha256(), static_cast<int>(hash.size()), hash.data());
    if (ok != 1) throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
    return hash;
}
// ANCHOR_END: pbkdf2

struct StoredHash {
    unsigned iterations = 0;
    Bytes salt;
    Bytes hash;
};

// "pbkdf2-sha256$600000$SALT$HASH" -> its parts, or nothing if any part is
// missing, out of range or badly encoded.
std::optional<StoredHash> parse_stored_hash(std::string_view stored) {
    const std::vector<std::string_view> parts = split(stored, '$');
    if (parts.size() != 4 || parts[0] != kScheme) return std::nullopt;
    const auto iterations = parse_decimal(parts[1]);
    auto salt = base64_decode(parts[2]);
    auto hash = base64_decode(parts[3]);
    if (!iterations || *iterations == 0 || *iterations > kMaxIterations) return std::nullopt;
    if (!salt || salt->empty() || salt->size() > kMaxSaltBytes) return std::nullopt;
    if (!hash || hash->size() != kHashBytes) return std::nullopt;
    return StoredHash{static_cast<unsigned>(*iterations), std::move(*salt), std::move(*hash)};
}

}  // namespace

// ANCHOR: hash_password
std::string hash_password(std::string_view password, unsigned iterations) {
    if (iterations == 0 || iterations > kMaxIterations) {
        throw std::invalid_argument("iterations must be from 1 to " +
                                    std::to_string(kMaxIterations));
    }
    // RAND_bytes draws from OpenSSL's CSPRNG, seeded by the kernel. It fails
    // only if the system has no entropy to give; never fall back to rand().
    Bytes salt(kSaltBytes);
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
        throw std::runtime_error("RAND_bytes failed: no randomness for a salt");
    }
    const Bytes hash = pbkdf2_sha256(password, salt, iterations);
    return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64_encode(salt) +
           "$" + base64_encode(hash);
}
// ANCHOR_END: hash_password

// ANCHOR: verify_password
bool verify_password(std::string_view password, std::string_view stored) {
    const std::optional<StoredHash> parsed = parse_stored_hash(stored);
    if (!parsed || password.size() > INT_MAX) return false;
    const Bytes hash = pbkdf2_sha256(password, parsed->salt, parsed->iterations);
    // CRYPTO_memcmp looks at every byte whatever it finds. memcmp or ==
    // stop at the first difference, and how long they took tells an
    // attacker how much of a guess was right.
    return CRYPTO_memcmp(hash.data(), parsed->hash.data(), kHashBytes) == 0;
}
// ANCHOR_END: verify_password

bool is_password_hash(std::string_view stored) { return parse_stored_hash(stored).has_value(); }
