// The login rate limiter (stage 5): more than 5 failures a minute blocks.
// Time is passed in, so a minute passes without sleeping.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "rate_limiter.hpp"

using namespace std::chrono_literals;

namespace {

const RateLimiter::TimePoint t0{};

}  // namespace

TEST_CASE("5 failures are allowed, the 6th blocks, a minute later it is over") {
    RateLimiter limiter;
    for (int i = 0; i < 5; ++i) limiter.record_failure("alice", t0);
    CHECK_FALSE(limiter.blocked("alice", t0));
    CHECK(limiter.retry_after("alice", t0) == 0s);

    limiter.record_failure("alice", t0);
    CHECK(limiter.blocked("alice", t0));
    CHECK(limiter.retry_after("alice", t0) == 60s);
    CHECK(limiter.blocked("alice", t0 + 59s));
    CHECK(limiter.retry_after("alice", t0 + 59s) == 1s);

    CHECK_FALSE(limiter.blocked("alice", t0 + 61s));
    CHECK(limiter.retry_after("alice", t0 + 61s) == 0s);
}

TEST_CASE("Retry-After is rounded up to whole seconds, never 0 while blocked") {
    RateLimiter limiter;
    for (int i = 0; i < 6; ++i) limiter.record_failure("k", t0);
    CHECK(limiter.retry_after("k", t0 + 200ms) == 60s);  // 59.8 s -> 60
    CHECK(limiter.retry_after("k", t0 + 59'999ms) == 1s);
    CHECK_FALSE(limiter.blocked("k", t0 + 60s));  // a failure counts for exactly a minute
}

TEST_CASE("the window slides: a failure counts for one minute after it happened") {
    RateLimiter limiter;
    for (int i = 0; i < 6; ++i) limiter.record_failure("k", t0 + i * 10s);  // 0, 10, ..., 50 s
    CHECK(limiter.blocked("k", t0 + 50s));
    CHECK(limiter.retry_after("k", t0 + 50s) == 10s);  // when the failure at 0 s expires
    CHECK_FALSE(limiter.blocked("k", t0 + 60s));
    limiter.record_failure("k", t0 + 65s);  // 10..50 s and 65 s: 6 in the window again
    CHECK(limiter.blocked("k", t0 + 65s));
    CHECK(limiter.retry_after("k", t0 + 65s) == 5s);  // until the one at 10 s expires
}

TEST_CASE("failures spread out never block: a patient user is never locked out") {
    RateLimiter limiter;
    for (int i = 0; i < 100; ++i) {
        limiter.record_failure("slow", t0 + i * 13s);  // at most 5 in any minute
        CHECK_FALSE(limiter.blocked("slow", t0 + i * 13s));
    }
}

TEST_CASE("keys are independent") {
    RateLimiter limiter;
    for (int i = 0; i < 6; ++i) limiter.record_failure("203.0.113.7", t0);
    CHECK(limiter.blocked("203.0.113.7", t0));
    CHECK_FALSE(limiter.blocked("203.0.113.8", t0));
    CHECK_FALSE(limiter.blocked("alice", t0));
    CHECK_FALSE(limiter.blocked("", t0));
}

TEST_CASE("reset forgets a key's failures") {
    RateLimiter limiter;
    for (int i = 0; i < 6; ++i) limiter.record_failure("alice", t0);
    limiter.reset("alice");
    CHECK_FALSE(limiter.blocked("alice", t0));
    CHECK(limiter.size() == 0);
    limiter.reset("never seen");  // harmless
    for (int i = 0; i < 5; ++i) limiter.record_failure("alice", t0);
    CHECK_FALSE(limiter.blocked("alice", t0));  // counting starts again from zero
}

TEST_CASE("a flood of 1,000,000 distinct keys keeps memory bounded") {
    RateLimiter limiter;
    for (int i = 0; i < 1'000'000; ++i) {
        limiter.record_failure(std::to_string(i), t0 + i * 1us);
    }
    CHECK(limiter.size() <= kMaxRateLimitKeys);
    CHECK(limiter.size() > 0);
}

TEST_CASE("when full, the key whose last failure is oldest is forgotten") {
    RateLimiter limiter(5, 60s, /*max_keys=*/3);
    limiter.record_failure("a", t0);
    limiter.record_failure("b", t0 + 1s);
    limiter.record_failure("c", t0 + 2s);
    for (int i = 0; i < 5; ++i) limiter.record_failure("a", t0 + 3s);  // a: 6 failures, newest
    limiter.record_failure("d", t0 + 4s);  // full: b goes
    CHECK(limiter.size() == 3);
    CHECK(limiter.blocked("a", t0 + 4s));
    for (int i = 0; i < 5; ++i) limiter.record_failure("b", t0 + 5s);
    CHECK_FALSE(limiter.blocked("b", t0 + 5s));  // its first failure was forgotten
}

TEST_CASE("keys without a failure in the window are dropped first") {
    RateLimiter limiter(5, 60s, /*max_keys=*/3);
    limiter.record_failure("a", t0);
    limiter.record_failure("b", t0);
    limiter.record_failure("c", t0 + 30s);
    limiter.record_failure("d", t0 + 61s);  // a and b are stale: both go
    CHECK(limiter.size() == 2);
}

TEST_CASE("very long keys are cut, so they cannot eat memory") {
    RateLimiter limiter;
    const std::string prefix(kMaxRateLimitKeyBytes, 'x');
    for (int i = 0; i < 6; ++i) {
        const std::string megabyte(1 << 20, static_cast<char>('a' + i));
        limiter.record_failure(prefix + megabyte, t0);  // six keys, one prefix
    }
    CHECK(limiter.size() == 1);
    CHECK(limiter.blocked(prefix, t0));
}

TEST_CASE("peer_address drops the port, for IPv4 and IPv6") {
    CHECK(peer_address("127.0.0.1:51234") == "127.0.0.1");
    CHECK(peer_address("[::1]:51234") == "::1");
    CHECK(peer_address("[2001:db8::7]:443") == "2001:db8::7");
    CHECK(peer_address("no-port") == "no-port");
    CHECK(peer_address("") == "");
}
