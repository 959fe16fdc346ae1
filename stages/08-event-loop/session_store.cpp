#include "session_store.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>
#include <iterator>
#include <stdexcept>

namespace {

std::string to_hex(const unsigned char* bytes, std::size_t size) {
    constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out += kDigits[bytes[i] >> 4];
        out += kDigits[bytes[i] & 0x0f];
    }
    return out;
}

}  // namespace

SessionStore::SessionStore(std::chrono::seconds ttl, std::size_t max_sessions)
    : ttl_(ttl), max_sessions_(max_sessions) {
    if (ttl_.count() <= 0) throw std::invalid_argument("session ttl must be positive");
    if (max_sessions_ == 0) throw std::invalid_argument("a session store must hold one session");
}

// ANCHOR: digest
// Sessions are found by the SHA-256 of their id, for two reasons.
//
// Timing: a hash map finds a key by comparing it with stored keys byte by
// byte, stopping at the first difference, so an attacker who measures
// response times could learn a stored id one byte at a time. Here the
// compared bytes are SHA-256 outputs, which the attacker cannot steer (to
// fix the first byte of a hash they would have to invert SHA-256), and the
// comparison itself runs in constant time anyway (DigestEqual below).
//
// Leaks: the store never holds a usable id. A memory dump, a debug print or
// a future sessions file shows digests, and a digest is not a cookie, the
// same reason we store password hashes rather than passwords.
SessionStore::Digest SessionStore::digest_of(std::string_view id) {
    Digest digest;
    SHA256(reinterpret_cast<const unsigned char*>(id.data()), id.size(), digest.data());
    return digest;
}

// The digest is already uniformly random: its first bytes make a fine
// bucket number, no second hash needed.
std::size_t SessionStore::DigestHash::operator()(const Digest& digest) const {
    std::size_t bucket;
    std::memcpy(&bucket, digest.data(), sizeof bucket);
    return bucket;
}

bool SessionStore::DigestEqual::operator()(const Digest& a, const Digest& b) const {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}
// ANCHOR_END: digest

bool SessionStore::expired(const Entry& entry, TimePoint now) const {
    return now - entry.last_seen >= ttl_;
}

void SessionStore::erase(Entries::iterator entry) {
    by_digest_.erase(entry->digest);
    entries_.erase(entry);
}

// ANCHOR: create
std::string SessionStore::create(std::string username, std::string role, TimePoint now) {
    unsigned char random[kSessionIdBytes];
    if (RAND_bytes(random, sizeof random) != 1) {
        throw std::runtime_error("RAND_bytes failed: no randomness for a session id");
    }
    const std::string id = to_hex(random, sizeof random);
    const Digest digest = digest_of(id);
    // Only now the lock: the random bytes and the hash need none.
    const std::lock_guard lock(mutex_);

    // Make room. The list is in order of last use, so expired sessions sit
    // at the back: drop those first, then, if the store is still full, the
    // least recently used. (Refusing logins when full would let whoever
    // fills the store lock everybody out; evicting costs the idlest user a
    // new login instead.)
    while (!entries_.empty() &&
           (expired(entries_.back(), now) || entries_.size() >= max_sessions_)) {
        erase(std::prev(entries_.end()));
    }

    // Two equal 128-bit ids would take about 2^64 sessions (the birthday
    // bound), so no check for a clash.
    entries_.push_front({digest, Session{std::move(username), std::move(role)}, now});
    by_digest_[entries_.front().digest] = entries_.begin();
    return id;
}
// ANCHOR_END: create

// ANCHOR: find
std::optional<Session> SessionStore::find(std::string_view id, TimePoint now) {
    const Digest digest = digest_of(id);
    const std::lock_guard lock(mutex_);
    const auto found = by_digest_.find(digest);
    if (found == by_digest_.end()) return std::nullopt;
    const Entries::iterator entry = found->second;
    if (expired(*entry, now)) {
        erase(entry);
        return std::nullopt;
    }
    entry->last_seen = now;
    entries_.splice(entries_.begin(), entries_, entry);  // now the most recently used
    return entry->session;
}
// ANCHOR_END: find

bool SessionStore::remove(std::string_view id) {
    const Digest digest = digest_of(id);
    const std::lock_guard lock(mutex_);
    const auto found = by_digest_.find(digest);
    if (found == by_digest_.end()) return false;
    erase(found->second);
    return true;
}
