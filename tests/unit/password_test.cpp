// Password hashing (stage 5): PBKDF2-HMAC-SHA256, salted, self-describing.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "password.hpp"
#include "strings.hpp"

namespace {

// Tests use few iterations to stay fast; the count is part of the stored
// string, so verify_password follows it whatever it is.
constexpr unsigned kFast = 1000;

}  // namespace

TEST_CASE("a password verifies against its own hash, and only its own") {
    const std::string stored = hash_password("correct horse", kFast);
    CHECK(verify_password("correct horse", stored));
    CHECK_FALSE(verify_password("correct horsE", stored));
    CHECK_FALSE(verify_password("correct horse ", stored));
    CHECK_FALSE(verify_password("", stored));
}

TEST_CASE("the stored form is pbkdf2-sha256$ITERATIONS$SALT$HASH, in base64") {
    const std::string stored = hash_password("wonderland", kFast);
    const auto parts = split(stored, '$');
    REQUIRE(parts.size() == 4);
    CHECK(parts[0] == "pbkdf2-sha256");
    CHECK(parts[1] == "1000");
    CHECK(parts[2].size() == 24);  // 16 bytes of salt in base64
    CHECK(parts[3].size() == 44);  // 32 bytes of SHA-256 in base64
    CHECK(is_password_hash(stored));
    CHECK(hash_password("wonderland", 7).starts_with("pbkdf2-sha256$7$"));
    CHECK(stored.find(':') == std::string::npos);  // safe in a users file line
}

TEST_CASE("every hash gets a fresh salt: one password, two different hashes") {
    const std::string first = hash_password("same password", kFast);
    const std::string second = hash_password("same password", kFast);
    CHECK(first != second);
    CHECK(split(first, '$')[2] != split(second, '$')[2]);
    CHECK(verify_password("same password", first));
    CHECK(verify_password("same password", second));
}

TEST_CASE("it is standard PBKDF2-HMAC-SHA256 (RFC 7914 section 11, first test vector)") {
    // P = "passwd", S = "salt", c = 1: the first 32 bytes of the vector
    // 55 ac 04 6e 56 e3 08 9f ... The salt is used as the text stored.
    const std::string stored =
        "pbkdf2-sha256$1$salt$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLw=";
    CHECK(is_password_hash(stored));
    CHECK(verify_password("passwd", stored));
    CHECK_FALSE(verify_password("passwe", stored));
    // The iteration count is read from the string, not assumed.
    CHECK_FALSE(verify_password(
        "passwd", "pbkdf2-sha256$2$salt$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLw="));
}

TEST_CASE("a changed salt or hash no longer verifies") {
    const std::string stored = hash_password("secret password", kFast);
    auto parts = split(stored, '$');
    std::string other_salt = std::string(parts[2]);
    other_salt[0] = other_salt[0] == 'A' ? 'B' : 'A';
    CHECK_FALSE(verify_password("secret password", "pbkdf2-sha256$1000$" + other_salt + "$" +
                                                       std::string(parts[3])));
    CHECK_FALSE(verify_password("secret password", "pbkdf2-sha256$1000$" + other_salt.substr(1) +
                                                       "$" + std::string(parts[3])));
    std::string other_hash = std::string(parts[3]);
    other_hash[5] = other_hash[5] == 'A' ? 'B' : 'A';
    CHECK_FALSE(verify_password("secret password", "pbkdf2-sha256$1000$" +
                                                       std::string(parts[2]) + "$" + other_hash));
}

TEST_CASE("a malformed stored string verifies false and never throws") {
    const std::string good = hash_password("pw", 1);
    const auto parts = split(good, '$');
    const std::string salt(parts[2]);
    const std::string hash(parts[3]);
    const std::string malformed[] = {
        "",
        "$",
        "$$$",
        "pbkdf2-sha256",
        "pbkdf2-sha256$1$" + salt,                          // no hash
        "pbkdf2-sha256$1$" + salt + "$" + hash + "$extra",  // one field too many
        "pbkdf2-sha1$1$" + salt + "$" + hash,               // another scheme
        "PBKDF2-SHA256$1$" + salt + "$" + hash,             // the scheme is exact
        "pbkdf2-sha256$$" + salt + "$" + hash,              // no count
        "pbkdf2-sha256$0$" + salt + "$" + hash,             // zero rounds
        "pbkdf2-sha256$-1$" + salt + "$" + hash,            // a sign
        "pbkdf2-sha256$ 1$" + salt + "$" + hash,            // a space
        "pbkdf2-sha256$10000001$" + salt + "$" + hash,      // above kMaxIterations
        "pbkdf2-sha256$99999999999999999999999$" + salt + "$" + hash,  // overflow
        "pbkdf2-sha256$1$$" + hash,                         // empty salt
        "pbkdf2-sha256$1$" + salt + "$",                    // empty hash
        "pbkdf2-sha256$1$" + salt + "$" + hash.substr(0, 40),         // hash too short
        "pbkdf2-sha256$1$" + salt + "$" + hash + "AAAA",              // hash too long
        "pbkdf2-sha256$01$" + salt + "$" + hash,                      // a leading zero
        "pbkdf2-sha256$1$" + salt + "*$" + hash,                      // salt not base64
        "pbkdf2-sha256$1$" + salt + "$" + "*" + hash.substr(1),       // not base64
        "pbkdf2-sha256$1$" + salt + "$" + "=" + hash.substr(1),       // '=' not at the end
        "pbkdf2-sha256$1$" + std::string(100, 'A') + "$" + hash,      // salt above 64 bytes
        std::string("pbkdf2-sha256$1$") + '\0' + "$" + hash,
    };
    for (const std::string& stored : malformed) {
        INFO("stored: ", escape_bytes(stored));
        CHECK_FALSE(is_password_hash(stored));
        CHECK_FALSE(verify_password("pw", stored));
    }
    CHECK(verify_password("pw", good));  // the pieces themselves were fine
}

TEST_CASE("passwords may hold any bytes") {
    const std::string odd = std::string("sp ace\tt\xc3\xbc") + '\0' + "after NUL";
    const std::string stored = hash_password(odd, kFast);
    CHECK(verify_password(odd, stored));
    CHECK_FALSE(verify_password("sp ace\tt\xc3\xbc", stored));  // the NUL does not cut it
    CHECK(verify_password("", hash_password("", kFast)));
}

TEST_CASE("an iteration count of 0 or above the maximum is refused") {
    CHECK_THROWS_AS(hash_password("pw", 0), std::invalid_argument);
    CHECK_THROWS_AS(hash_password("pw", kMaxIterations + 1), std::invalid_argument);
}

TEST_CASE("the default cost is OWASP's 600,000 iterations") {
    CHECK(kDefaultIterations >= 600'000);
    CHECK(kSaltBytes >= 16);
}
