// RateLimiter: at most `limit` attempts per key in any minute. More get 429
// Too Many Requests (RFC 6585 section 4) with Retry-After.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lru_map.hpp"

inline constexpr std::chrono::seconds kRateLimitWindow{60};
// Under 4 MB whatever a flood of addresses or made-up names tries; when full,
// the least recently used key is forgotten.
inline constexpr std::size_t kMaxRateLimitKeys = 10'000;
// Keys are cut to this: a megabyte-long username must not cost a megabyte.
inline constexpr std::size_t kMaxRateLimitKeyBytes = 64;

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    explicit RateLimiter(std::size_t limit, std::size_t max_keys = kMaxRateLimitKeys);

    // Records an attempt and returns 0 s; or, when `key` had `limit` in the
    // last minute, records nothing and returns the time to wait (1 s or
    // more). One call: checked now but recorded after a slow hash, twenty
    // guesses sent at once would all pass the check.
    std::chrono::seconds attempt(std::string_view key, TimePoint now = Clock::now());
    // Takes back the latest attempt of `key` (a login that succeeded).
    void forgive(std::string_view key);

    std::size_t size() const { const std::lock_guard lock(mutex_); return attempts_.size(); }

private:
    // Stage 6: workers count attempts at the same time. The check and the
    // record happen under one lock, which is what makes them one step.
    mutable std::mutex mutex_;
    std::size_t limit_;
    LruMap<std::string, std::vector<TimePoint>> attempts_;  // per key, oldest first
};
