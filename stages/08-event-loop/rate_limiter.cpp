#include "rate_limiter.hpp"

#include <algorithm>
#include <stdexcept>

RateLimiter::RateLimiter(std::size_t max_failures, std::chrono::seconds window,
                         std::size_t max_keys)
    : max_failures_(max_failures), window_(window), max_keys_(max_keys) {
    if (window_.count() <= 0) throw std::invalid_argument("rate limit window must be positive");
    if (max_keys_ == 0) throw std::invalid_argument("a rate limiter must hold one key");
}

namespace {

std::string stored_key(std::string_view key) {
    return std::string(key.substr(0, kMaxRateLimitKeyBytes));
}

}  // namespace

const RateLimiter::Entry* RateLimiter::lookup(std::string_view key) const {
    const auto found = by_key_.find(stored_key(key));
    return found == by_key_.end() ? nullptr : &*found->second;
}

// ANCHOR: blocked
// Blocked when the last max_failures + 1 failures all fall in the window.
bool RateLimiter::window_full(const Entry& entry, TimePoint now) const {
    return entry.failures.size() > max_failures_ && now - entry.failures.front() < window_;
}

bool RateLimiter::blocked(std::string_view key, TimePoint now) const {
    const std::lock_guard lock(mutex_);
    const Entry* entry = lookup(key);
    return entry != nullptr && window_full(*entry, now);
}

std::chrono::seconds RateLimiter::retry_after(std::string_view key, TimePoint now) const {
    const std::lock_guard lock(mutex_);
    const Entry* entry = lookup(key);
    if (entry == nullptr || !window_full(*entry, now)) return std::chrono::seconds(0);
    // Free again when the oldest of those failures leaves the window.
    const TimePoint free_at = entry->failures.front() + window_;
    const auto wait = std::chrono::ceil<std::chrono::seconds>(free_at - now);
    return std::max(wait, std::chrono::seconds(1));
}
// ANCHOR_END: blocked

// No failure in the window any more: the entry only takes up room.
bool RateLimiter::stale(const Entry& entry, TimePoint now) const {
    return entry.failures.empty() || now - entry.failures.back() >= window_;
}

// ANCHOR: record_failure
void RateLimiter::record_failure(std::string_view key, TimePoint now) {
    std::string name = stored_key(key);
    const std::lock_guard lock(mutex_);
    auto found = by_key_.find(name);
    if (found == by_key_.end()) {
        // Make room. The list is in order of last failure, so stale entries
        // sit at the back: drop those, then the oldest one if still full.
        while (!entries_.empty() &&
               (stale(entries_.back(), now) || entries_.size() >= max_keys_)) {
            by_key_.erase(entries_.back().key);
            entries_.pop_back();
        }
        entries_.push_front({name, {}});
        found = by_key_.emplace(std::move(name), entries_.begin()).first;
    } else {
        entries_.splice(entries_.begin(), entries_, found->second);  // now the most recent
    }
    std::vector<TimePoint>& failures = found->second->failures;
    failures.push_back(now);
    if (failures.size() > max_failures_ + 1) failures.erase(failures.begin());
}
// ANCHOR_END: record_failure

void RateLimiter::reset(std::string_view key) {
    const std::string name = stored_key(key);
    const std::lock_guard lock(mutex_);
    const auto found = by_key_.find(name);
    if (found == by_key_.end()) return;
    entries_.erase(found->second);
    by_key_.erase(found);
}

std::string_view peer_address(std::string_view peer) {
    if (peer.starts_with('[')) {  // "[::1]:51234"
        const std::size_t close = peer.find(']');
        return close == std::string_view::npos ? peer : peer.substr(1, close - 1);
    }
    const std::size_t colon = peer.rfind(':');  // "127.0.0.1:51234"
    return colon == std::string_view::npos ? peer : peer.substr(0, colon);
}
