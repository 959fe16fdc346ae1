// SessionStore: who is logged in, by session id.
//
// HTTP forgets everything between two requests. After a login, the server
// gives the client a session id (in a cookie, RFC 6265, or as a bearer
// token, RFC 6750), the client sends it back with every request, and that
// id alone proves who it is. Whoever has it *is* the user, so an id must be:
//   - impossible to guess: 128 bits from a CSPRNG (OWASP Session Management
//     Cheat Sheet, "Session ID Entropy"), never a counter or a timestamp;
//   - new at every login, so that an id an attacker planted in a browser
//     before the login ("session fixation") is worth nothing after it;
//   - short-lived when unused: a laptop left open or a copied cookie
//     stops working after `ttl` of silence.
//
// Stage 5 serves one client at a time, so nothing here is locked. Stage 6
// brings threads, and with them a mutex around this store.
#pragma once

#include <openssl/sha.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct Session {
    std::string username;
    std::string role;  // "admin" or "user"
};

// Random bytes in a session id: 128 bits, sent as 32 hex digits.
inline constexpr std::size_t kSessionIdBytes = 16;
// The server's --session-ttl default (SPEC section 5): 30 minutes idle.
inline constexpr std::chrono::seconds kDefaultSessionTtl{30 * 60};
// A bound on memory: about 200 bytes a session, so at most some 20 MB.
inline constexpr std::size_t kMaxSessions = 100'000;

class SessionStore {
public:
    // steady_clock, not the wall clock: it never jumps back or forward when
    // someone sets the time, so a ttl means what it says. Every method takes
    // `now` so that tests can move time forward without sleeping.
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    explicit SessionStore(std::chrono::seconds ttl = kDefaultSessionTtl,
                          std::size_t max_sessions = kMaxSessions);

    // Starts a session and returns its new id (32 lowercase hex digits).
    // Throws std::runtime_error if the system has no randomness to give.
    std::string create(std::string username, std::string role, TimePoint now = Clock::now());

    // The session for `id`, if it exists and has not been idle for `ttl` or
    // longer. Finding it counts as using it: its idle time starts again.
    std::optional<Session> find(std::string_view id, TimePoint now = Clock::now());

    // Ends the session (logout). False if there was none.
    bool remove(std::string_view id);

    // Sessions held, including expired ones not yet dropped.
    std::size_t size() const {
        const std::lock_guard lock(mutex_);
        return entries_.size();
    }

private:
    // Stage 6: workers call create(), find() and remove() at the same time.
    // One mutex guards the list and the map together, since every call
    // changes both (find() moves the session to the front).
    mutable std::mutex mutex_;

    using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;
    struct DigestHash {
        std::size_t operator()(const Digest& digest) const;
    };
    struct DigestEqual {
        bool operator()(const Digest& a, const Digest& b) const;
    };
    struct Entry {
        Digest digest;  // SHA-256 of the id: the id itself is never kept
        Session session;
        TimePoint last_seen;
    };
    using Entries = std::list<Entry>;

    static Digest digest_of(std::string_view id);
    bool expired(const Entry& entry, TimePoint now) const;
    void erase(Entries::iterator entry);

    std::chrono::seconds ttl_;
    std::size_t max_sessions_;
    Entries entries_;  // most recently used first, so the back is the first to go
    std::unordered_map<Digest, Entries::iterator, DigestHash, DigestEqual> by_digest_;
};
