// The session store (stage 5): random ids, idle expiry, logout, a bound.
// Time is passed in, so expiry is tested without sleeping.
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>

#include "session_store.hpp"

using namespace std::chrono_literals;

namespace {

const SessionStore::TimePoint t0{};  // any fixed moment will do

bool is_lower_hex(const std::string& text) {
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("create returns a new 128-bit hex id, and find returns its session") {
    SessionStore sessions(60s);
    const std::string id = sessions.create("alice", "admin", t0);
    CHECK(id.size() >= 32);  // 16 random bytes = 128 bits
    CHECK(is_lower_hex(id));
    const auto session = sessions.find(id, t0);
    REQUIRE(session);
    CHECK(session->username == "alice");
    CHECK(session->role == "admin");
    CHECK(sessions.size() == 1);
}

TEST_CASE("every create gives a different id, even for the same user") {
    SessionStore sessions(60s);
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) ids.insert(sessions.create("alice", "admin", t0));
    CHECK(ids.size() == 1000);
    // Logging in again does not end the earlier session (two browsers).
    for (const std::string& id : ids) CHECK(sessions.find(id, t0));
}

TEST_CASE("an unknown, altered or empty id finds nothing") {
    SessionStore sessions(60s);
    const std::string id = sessions.create("bob", "user", t0);
    std::string altered = id;
    altered.back() = altered.back() == '0' ? '1' : '0';
    std::string upper = id;
    for (char& c : upper) c = (c >= 'a' && c <= 'f') ? static_cast<char>(c - 'a' + 'A') : c;
    CHECK_FALSE(sessions.find(altered, t0));
    CHECK_FALSE(sessions.find(id.substr(0, 31), t0));
    CHECK_FALSE(sessions.find(id + "0", t0));
    if (upper != id) CHECK_FALSE(sessions.find(upper, t0));
    CHECK_FALSE(sessions.find("", t0));
    CHECK_FALSE(sessions.find(std::string(1 << 20, 'a'), t0));
    CHECK(sessions.find(id, t0));
}

TEST_CASE("among many sessions, only the exact id finds one") {
    // Many random ids land in the same hash bucket as a stored one; the
    // full 32-byte digests must still be compared, every byte of them.
    SessionStore sessions(60s);
    SessionStore others(60s);
    for (int i = 0; i < 1000; ++i) sessions.create("user", "user", t0);
    int found = 0;
    for (int i = 0; i < 5'000; ++i) {
        const std::string other_id = others.create("x", "user", t0);
        if (sessions.find(other_id, t0)) ++found;
    }
    CHECK(found == 0);
}

TEST_CASE("a session expires after ttl without use") {
    SessionStore sessions(30min);
    const std::string id = sessions.create("alice", "admin", t0);
    SUBCASE("just before the ttl it is alive") { CHECK(sessions.find(id, t0 + 30min - 1s)); }
    SUBCASE("at the ttl it is gone, for good") {
        CHECK_FALSE(sessions.find(id, t0 + 30min));
        CHECK(sessions.size() == 0);         // dropped, not just hidden:
        CHECK_FALSE(sessions.find(id, t0));  // not even an earlier time finds it
    }
}

TEST_CASE("each successful find restarts the idle time") {
    SessionStore sessions(60s);
    const std::string id = sessions.create("alice", "admin", t0);
    CHECK(sessions.find(id, t0 + 50s));
    CHECK(sessions.find(id, t0 + 100s));  // 50 s after the last use, 100 s after login
    CHECK(sessions.find(id, t0 + 150s));
    CHECK_FALSE(sessions.find(id, t0 + 210s));  // 60 s of silence
}

TEST_CASE("remove ends a session (logout)") {
    SessionStore sessions(60s);
    const std::string alice = sessions.create("alice", "admin", t0);
    const std::string bob = sessions.create("bob", "user", t0);
    sessions.remove(alice);
    CHECK_FALSE(sessions.find(alice, t0));
    sessions.remove(alice);  // twice is harmless
    sessions.remove("no such id");
    CHECK(sessions.find(bob, t0));
    CHECK(sessions.size() == 1);
}

TEST_CASE("when full, the least recently used session goes") {
    SessionStore sessions(60s, /*max_sessions=*/3);
    const std::string a = sessions.create("a", "user", t0);
    const std::string b = sessions.create("b", "user", t0 + 1s);
    const std::string c = sessions.create("c", "user", t0 + 2s);
    CHECK(sessions.find(a, t0 + 3s));  // a is now the most recently used; b the least
    const std::string d = sessions.create("d", "user", t0 + 4s);
    CHECK(sessions.size() == 3);
    CHECK_FALSE(sessions.find(b, t0 + 5s));
    CHECK(sessions.find(a, t0 + 5s));
    CHECK(sessions.find(c, t0 + 5s));
    CHECK(sessions.find(d, t0 + 5s));
}

TEST_CASE("making room drops every expired session first") {
    SessionStore sessions(60s, /*max_sessions=*/3);
    const std::string a = sessions.create("a", "user", t0);
    const std::string b = sessions.create("b", "user", t0 + 10s);
    const std::string c = sessions.create("c", "user", t0 + 50s);
    // At t0 + 70 s, a and b have been idle for 60 s or more: both go, and
    // c (the least recently used of the live ones) stays.
    const std::string d = sessions.create("d", "user", t0 + 70s);
    CHECK(sessions.size() == 2);
    CHECK(sessions.find(c, t0 + 70s));
    CHECK(sessions.find(d, t0 + 70s));
}

TEST_CASE("a flood of logins never grows the store past its bound") {
    SessionStore sessions(30min, /*max_sessions=*/100);
    std::string last;
    for (int i = 0; i < 20'000; ++i) last = sessions.create("user", "user", t0 + i * 1ms);
    CHECK(sessions.size() == 100);
    CHECK(sessions.find(last, t0 + 20s));
}

TEST_CASE("the defaults are those of the spec") {
    CHECK(kDefaultSessionTtl == 30min);
    CHECK(kSessionIdBytes * 8 >= 128);
    CHECK_THROWS(SessionStore(0s));
    CHECK_THROWS(SessionStore(60s, 0));
}
