// Password hashing: salted PBKDF2-HMAC-SHA256 (RFC 8018 section 5.2), kept
// as "pbkdf2-sha256$ITERATIONS$SALT$HASH". The cost travels with the hash,
// so it can rise later while old hashes still verify.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// OWASP's Password Storage Cheat Sheet: a fifth of a second of CPU per
// login, and for a thief of the users file a few guesses a second per core.
inline constexpr unsigned kDefaultIterations = 600'000;
// More is refused: "4000000000" in a users file would make a login take hours.
inline constexpr unsigned kMaxIterations = 10'000'000;
inline constexpr std::size_t kSaltBytes = 16;  // NIST SP 800-132 section 5.1's minimum
inline constexpr std::size_t kHashBytes = 32;  // SHA-256's output

// A new random salt at every call. Throws std::invalid_argument for 0 or
// too many iterations, std::runtime_error when there is no randomness.
std::string hash_password(std::string_view password, unsigned iterations = kDefaultIterations);
// Whether `password` is the one `stored` was made from (false if malformed).
bool verify_password(std::string_view password, std::string_view stored);
// Whether `stored` has the form hash_password() makes.
bool is_password_hash(std::string_view stored);
