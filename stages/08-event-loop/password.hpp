// Password hashing: salted PBKDF2-HMAC-SHA256 (RFC 8018 section 5.2).
//
// A server must be able to check a password without being able to tell
// anyone what it is, not even whoever steals its users file. So it keeps
// only a one-way hash, and a slow one: a stolen file can then be attacked
// only by guessing, and every guess costs the attacker what one login
// costs us. A fast hash (plain SHA-256) lets one graphics card try
// billions of guesses a second; 600,000 rounds of PBKDF2 divide that by
// about a million, and a leaked file of decent passwords stays safe.
//
// The salt, 16 random bytes per password, makes every hash unique: two
// users with the same password get different hashes, and an attacker
// cannot precompute one table of hashes for every server at once.
//
// The stored form describes itself, so the cost can grow later without
// breaking old entries (each is checked with the count it was made with):
//
//     pbkdf2-sha256$600000$<salt, base64>$<hash, base64>
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// OWASP's Password Storage Cheat Sheet (2023 onwards) asks for 600,000
// iterations of PBKDF2-HMAC-SHA256. Measured where this course was written
// (one core of an AMD EPYC server, OpenSSL 3.0): 140 to 210 ms of CPU per
// hash. Nothing for one login; for an attacker with a stolen users file,
// about 5 guesses a second per core instead of millions.
inline constexpr unsigned kDefaultIterations = 600'000;

// A stored hash asking for more rounds than this is refused: a users file
// saying "4000000000" would otherwise make every login take an hour.
inline constexpr unsigned kMaxIterations = 10'000'000;

// Salt and hash sizes in bytes. 16 bytes of salt is what NIST SP 800-132
// section 5.1 asks for at least; 32 bytes is SHA-256's own output size.
inline constexpr std::size_t kSaltBytes = 16;
inline constexpr std::size_t kHashBytes = 32;

// Hashes `password` with a fresh random salt. Two calls with the same
// password give two different strings, and both verify.
// Throws std::invalid_argument if `iterations` is 0 or above kMaxIterations,
// std::runtime_error if the system has no randomness to give.
std::string hash_password(std::string_view password, unsigned iterations = kDefaultIterations);

// True if `password` is the one `stored` was made from. A malformed
// `stored` string is never an error, just false.
bool verify_password(std::string_view password, std::string_view stored);

// True if `stored` has the form hash_password() produces (for checking a
// users file when it is loaded, instead of at the first login).
bool is_password_hash(std::string_view stored);
