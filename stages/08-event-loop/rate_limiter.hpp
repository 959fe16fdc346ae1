// RateLimiter: at most a few failed logins a minute per key.
//
// Slow hashing makes each guess expensive; a rate limit makes guesses few.
// At 6 guesses a minute, trying the 10,000 most common passwords against
// one account takes more than a day instead of minutes.
//
// The server keeps two limiters, one keyed by the client's address and one
// by the username tried (two objects, not one: made-up usernames cost an
// attacker nothing, and must not push addresses out of the same table).
// Neither is enough alone:
//   - by address only, an attacker with many addresses (a botnet, a cloud
//     account) tries one account from all of them;
//   - by username only, one address tries one password against every user
//     ("password spraying").
// A key that made more than 5 failures in the last minute is blocked; the
// answer is 429 Too Many Requests (RFC 6585 section 4) with Retry-After
// (RFC 9110 section 10.2.3) saying how many seconds to wait. Blocked
// requests must be refused before any password hashing: they should cost
// the server nothing.
//
// The window slides: a failure counts for exactly one minute after it
// happened. The 6th failure is the one that blocks, so a patient attacker
// gets 6 guesses a minute and no more.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

inline constexpr std::size_t kMaxLoginFailures = 5;  // more than this in the window: blocked
inline constexpr std::chrono::seconds kLoginFailureWindow{60};
// Keys remembered at once. Each costs at most about 400 bytes, so memory
// stays under 4 MB whatever a flood of fake addresses or names tries.
// When full, the key whose last failure is oldest is forgotten. The price:
// an attacker who makes failures under 10,000 other keys pushes their own
// key out and starts again from zero. That is one more reason to limit
// both the address and the username: rotating through 10,000 addresses is
// far harder than rotating through 10,000 made-up usernames.
inline constexpr std::size_t kMaxRateLimitKeys = 10'000;
// Keys are cut to this length: a username comes from the client, and a
// megabyte-long one must not cost a megabyte here. Real usernames are much
// shorter (32 bytes at most), so no two real keys can become one.
inline constexpr std::size_t kMaxRateLimitKeyBytes = 64;

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    explicit RateLimiter(std::size_t max_failures = kMaxLoginFailures,
                         std::chrono::seconds window = kLoginFailureWindow,
                         std::size_t max_keys = kMaxRateLimitKeys);

    // True while `key` has more than max_failures failures in the window.
    bool blocked(std::string_view key, TimePoint now = Clock::now()) const;

    // Seconds until `key` is no longer blocked, rounded up (at least 1 while
    // blocked); 0 when it is not blocked. For the Retry-After header.
    std::chrono::seconds retry_after(std::string_view key, TimePoint now = Clock::now()) const;

    void record_failure(std::string_view key, TimePoint now = Clock::now());

    // Forgets the failures of `key`. Call it for the *username* after a
    // successful login: whoever just proved they know the password is no
    // attacker of that account. Do not call it for the client address:
    // anyone can register an account (POST /register), so an attacker
    // could wipe their address's record with a good login after every 5
    // bad ones, and guess forever.
    void reset(std::string_view key);

    // Keys remembered (for tests and for watching memory).
    std::size_t size() const {
        const std::lock_guard lock(mutex_);
        return entries_.size();
    }

private:
    // Stage 6: logins on several workers at once. One mutex for the list
    // and the map, which always change together.
    mutable std::mutex mutex_;

    struct Entry {
        std::string key;
        // The most recent failures, oldest first; at most max_failures + 1,
        // which is all that "more than max_failures in the window" needs.
        std::vector<TimePoint> failures;
    };
    using Entries = std::list<Entry>;

    const Entry* lookup(std::string_view key) const;
    bool window_full(const Entry& entry, TimePoint now) const;
    bool stale(const Entry& entry, TimePoint now) const;

    std::size_t max_failures_;
    std::chrono::seconds window_;
    std::size_t max_keys_;
    Entries entries_;  // most recent failure first, so the back is the first to go
    std::unordered_map<std::string, Entries::iterator> by_key_;
};

// The address part of a peer "127.0.0.1:51234" or "[::1]:51234": the key
// for the per-client limiter. The port must go: every new connection gets
// a new one, and an attacker would simply reconnect. (A real deployment
// would also key IPv6 clients by their /64 network, since one customer
// usually gets a whole /64; this course server listens on IPv4 by default.)
std::string_view peer_address(std::string_view peer);
