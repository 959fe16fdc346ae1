#include "session_store.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

#include "strings.hpp"

namespace {

// Sessions are kept under the SHA-256 of their id: a memory dump shows no id
// that works. And a hash map compares keys byte by byte, stopping at the
// first difference, so its timing could leak a stored id a byte at a time;
// an attacker cannot steer the bytes of a digest, compared in constant time.
std::string digest_of(std::string_view id) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(id.data()), id.size(), digest);
    return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

}  // namespace

bool SessionStore::ConstantTimeEqual::operator()(const std::string& a, const std::string& b) const {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

SessionStore::SessionStore(std::chrono::seconds ttl, std::size_t max_sessions)
    : ttl_(ttl), sessions_(max_sessions) {
    if (ttl_.count() <= 0) throw std::invalid_argument("session ttl must be positive");
}

std::string SessionStore::create(std::string username, std::string role, TimePoint now) {
    unsigned char random[kSessionIdBytes];  // from OpenSSL's CSPRNG: never a counter or the clock
    if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("RAND_bytes failed");
    const std::string id = to_hex(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
    const std::string digest = digest_of(id);  // the random bytes and the hash need no lock
    const std::lock_guard lock(mutex_);
    sessions_.put(digest, Entry{Session{std::move(username), std::move(role)}, now},
                  [&](const Entry& entry) { return expired(entry, now); });
    return id;
}

// ANCHOR: find
std::optional<Session> SessionStore::find(std::string_view id, TimePoint now) {
    const std::string digest = digest_of(id);
    const std::lock_guard lock(mutex_);
    Entry* entry = sessions_.find(digest);
    if (entry == nullptr) return std::nullopt;
    if (expired(*entry, now)) {
        sessions_.erase(digest);
        return std::nullopt;
    }
    entry->last_seen = now;
    return entry->session;
}
// ANCHOR_END: find

void SessionStore::remove(std::string_view id) {
    const std::string digest = digest_of(id);
    const std::lock_guard lock(mutex_);
    sessions_.erase(digest);
}
