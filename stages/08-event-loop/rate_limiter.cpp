#include "rate_limiter.hpp"

#include <algorithm>

RateLimiter::RateLimiter(std::size_t limit, std::size_t max_keys)
    : limit_(limit), attempts_(max_keys) {}

std::chrono::seconds RateLimiter::attempt(std::string_view key, TimePoint now) {
    const std::string name(key.substr(0, kMaxRateLimitKeyBytes));
    const auto old = [&](TimePoint time) { return now - time >= kRateLimitWindow; };
    const std::lock_guard lock(mutex_);
    std::vector<TimePoint>* times = attempts_.find(name);
    if (times == nullptr) {  // keys with no attempt in the window make room first
        times = &attempts_.put(name, {}, [&](const auto& t) { return t.empty() || old(t.back()); });
    }
    std::erase_if(*times, old);  // the window slides: an attempt counts for a minute
    if (times->size() >= limit_) {  // free when the oldest leaves the window
        const auto wait = std::chrono::ceil<std::chrono::seconds>(times->front() + kRateLimitWindow - now);
        return std::max(wait, std::chrono::seconds(1));
    }
    times->push_back(now);
    return std::chrono::seconds(0);
}

void RateLimiter::forgive(std::string_view key) {
    const std::string name(key.substr(0, kMaxRateLimitKeyBytes));
    const std::lock_guard lock(mutex_);
    std::vector<TimePoint>* times = attempts_.find(name);
    if (times != nullptr && !times->empty()) times->pop_back();
}
