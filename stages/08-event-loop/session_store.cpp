#include "session_store.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "strings.hpp"

// A hash map's own comparison stops at the first byte that differs, and its
// timing would tell an attacker how much of a guessed id is right, a byte at
// a time. CRYPTO_memcmp looks at every byte, whatever they hold.
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
    const std::lock_guard lock(mutex_);  // not before: the random bytes need none
    sessions_.put(id, Entry{Session{std::move(username), std::move(role)}, now},
                  [&](const Entry& entry) { return expired(entry, now); });
    return id;
}

// ANCHOR: find
std::optional<Session> SessionStore::find(std::string_view id, TimePoint now) {
    const std::string key(id);
    const std::lock_guard lock(mutex_);
    Entry* entry = sessions_.find(key);
    if (entry == nullptr) return std::nullopt;
    if (expired(*entry, now)) {
        sessions_.erase(key);
        return std::nullopt;
    }
    entry->last_seen = now;
    return entry->session;
}
// ANCHOR_END: find

void SessionStore::remove(std::string_view id) {
    const std::lock_guard lock(mutex_);
    sessions_.erase(std::string(id));
}
