// SessionStore: who is logged in, by session id.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "lru_map.hpp"

struct Session {
    std::string username;
    std::string role;  // "admin" or "user"
};

// 128 random bits, the OWASP minimum for a session id: 32 hex digits.
inline constexpr std::size_t kSessionIdBytes = 16;
inline constexpr std::chrono::seconds kDefaultSessionTtl{30 * 60};
inline constexpr std::size_t kMaxSessions = 100'000;  // about 200 bytes each

class SessionStore {
public:
    // steady_clock never jumps when the time is set. Tests pass `now`.
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    explicit SessionStore(std::chrono::seconds ttl = kDefaultSessionTtl,
                          std::size_t max_sessions = kMaxSessions);

    // A new session's id. A full store drops expired sessions, then the
    // least recently used: filling it locks nobody out.
    std::string create(std::string username, std::string role, TimePoint now = Clock::now());
    // The live session for `id`. Finding it restarts its idle time.
    std::optional<Session> find(std::string_view id, TimePoint now = Clock::now());
    void remove(std::string_view id);

    std::size_t size() const { const std::lock_guard lock(mutex_); return sessions_.size(); }

private:
    struct Entry {
        Session session;
        TimePoint last_seen;
    };
    struct ConstantTimeEqual {
        bool operator()(const std::string& a, const std::string& b) const;
    };
    bool expired(const Entry& entry, TimePoint now) const { return now - entry.last_seen >= ttl_; }

    // Stage 6: workers create, find and remove sessions at the same time;
    // even find() changes the table (it moves the session to the front).
    mutable std::mutex mutex_;
    std::chrono::seconds ttl_;
    LruMap<std::string, Entry, std::hash<std::string>, ConstantTimeEqual> sessions_;
};
