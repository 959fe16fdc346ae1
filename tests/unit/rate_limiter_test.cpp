// The rate limiter (stage 5): at most `limit` attempts per key in a minute,
// recorded by the same call that checks. Time is passed in, so a minute
// passes without sleeping.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "rate_limiter.hpp"
#include "strings.hpp"

using namespace std::chrono_literals;

namespace {

const RateLimiter::TimePoint t0{};

// Makes `count` attempts at `when`; returns how many were let through.
int attempts(RateLimiter& limiter, const std::string& key, int count, RateLimiter::TimePoint when) {
    int allowed = 0;
    for (int i = 0; i < count; ++i) allowed += limiter.attempt(key, when) == 0s ? 1 : 0;
    return allowed;
}

}  // namespace

TEST_CASE("6 attempts pass, the 7th waits a minute, then it is over") {
    RateLimiter limiter(6);
    CHECK(attempts(limiter, "alice", 6, t0) == 6);
    CHECK(limiter.attempt("alice", t0) == 60s);
    CHECK(limiter.attempt("alice", t0 + 59s) == 1s);
    CHECK(limiter.attempt("alice", t0 + 60s) == 0s);  // an attempt counts for exactly a minute
}

TEST_CASE("the wait is rounded up to whole seconds, never 0 while refused") {
    RateLimiter limiter(6);
    attempts(limiter, "k", 6, t0);
    CHECK(limiter.attempt("k", t0 + 200ms) == 60s);  // 59.8 s -> 60
    CHECK(limiter.attempt("k", t0 + 59'999ms) == 1s);
}

TEST_CASE("a refused attempt is not recorded: hammering does not prolong the wait") {
    RateLimiter limiter(6);
    attempts(limiter, "k", 6, t0);
    CHECK(attempts(limiter, "k", 100, t0 + 30s) == 0);
    CHECK(attempts(limiter, "k", 6, t0 + 60s) == 6);
}

TEST_CASE("the window slides: each attempt counts for one minute after it happened") {
    RateLimiter limiter(6);
    for (int i = 0; i < 6; ++i) CHECK(limiter.attempt("k", t0 + i * 10s) == 0s);  // 0, 10, ..., 50 s
    CHECK(limiter.attempt("k", t0 + 50s) == 10s);  // when the attempt at 0 s leaves
    CHECK(limiter.attempt("k", t0 + 60s) == 0s);   // it has left: 10..60 s
    CHECK(limiter.attempt("k", t0 + 65s) == 5s);   // until the one at 10 s leaves
}

TEST_CASE("attempts spread out never wait: a patient user is never locked out") {
    RateLimiter limiter(6);
    for (int i = 0; i < 100; ++i) CHECK(limiter.attempt("slow", t0 + i * 11s) == 0s);
}

TEST_CASE("keys are independent") {
    RateLimiter limiter(6);
    attempts(limiter, "203.0.113.7", 6, t0);
    CHECK(limiter.attempt("203.0.113.7", t0) > 0s);
    CHECK(limiter.attempt("203.0.113.8", t0) == 0s);
    CHECK(limiter.attempt("", t0) == 0s);
}

TEST_CASE("forgive takes back one attempt, the latest, and no more") {
    RateLimiter limiter(6);
    attempts(limiter, "alice", 6, t0);
    limiter.forgive("alice");
    CHECK(limiter.attempt("alice", t0 + 1s) == 0s);  // the place given back
    CHECK(limiter.attempt("alice", t0 + 1s) > 0s);   // and only that one
    limiter.forgive("never seen");                   // harmless
    CHECK(limiter.size() == 1);
}

TEST_CASE("a flood of 1,000,000 distinct keys keeps memory bounded") {
    RateLimiter limiter(6);
    for (int i = 0; i < 1'000'000; ++i) limiter.attempt(std::to_string(i), t0 + i * 1us);
    CHECK(limiter.size() <= kMaxRateLimitKeys);
    CHECK(limiter.size() > 0);
}

TEST_CASE("when full, the key used least recently is forgotten") {
    RateLimiter limiter(6, /*max_keys=*/3);
    limiter.attempt("a", t0);
    limiter.attempt("b", t0 + 1s);
    limiter.attempt("c", t0 + 2s);
    attempts(limiter, "a", 5, t0 + 3s);  // a: 6 attempts, and the most recent
    limiter.attempt("d", t0 + 4s);       // full: b goes
    CHECK(limiter.size() == 3);
    CHECK(limiter.attempt("a", t0 + 4s) > 0s);
    CHECK(attempts(limiter, "b", 6, t0 + 5s) == 6);  // its first attempt was forgotten
}

TEST_CASE("keys without an attempt in the window are dropped first") {
    RateLimiter limiter(6, /*max_keys=*/3);
    limiter.attempt("a", t0);
    limiter.attempt("b", t0);
    limiter.attempt("c", t0 + 30s);
    limiter.attempt("d", t0 + 61s);  // a and b are stale: both go
    CHECK(limiter.size() == 2);
}

TEST_CASE("very long keys are cut, so they cannot eat memory") {
    RateLimiter limiter(6);
    const std::string prefix(kMaxRateLimitKeyBytes, 'x');
    for (int i = 0; i < 6; ++i) {
        const std::string megabyte(1 << 20, static_cast<char>('a' + i));
        limiter.attempt(prefix + megabyte, t0);  // six keys, one prefix
    }
    CHECK(limiter.size() == 1);
    CHECK(limiter.attempt(prefix, t0) > 0s);
}

TEST_CASE("address_without_port drops the port, for IPv4 and IPv6") {
    CHECK(address_without_port("127.0.0.1:51234") == "127.0.0.1");
    CHECK(address_without_port("[::1]:51234") == "::1");
    CHECK(address_without_port("[2001:db8::7]:443") == "2001:db8::7");
    CHECK(address_without_port("no-port") == "no-port");
    CHECK(address_without_port("") == "");
}
