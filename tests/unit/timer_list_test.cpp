// TimerList (stage 8): timeouts of one length, kept in order without a search.
// Time is passed in, so nothing here sleeps.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "timer_list.hpp"

using namespace std::chrono_literals;

namespace {

const std::chrono::steady_clock::time_point t0{};  // any fixed moment will do

}  // namespace

TEST_CASE("timers expire in the order they were armed, each one timeout later") {
    TimerList list(5s);
    std::string fired;
    Timer a([&] { fired += 'a'; }), b([&] { fired += 'b'; }), c([&] { fired += 'c'; });
    list.arm(a, t0);
    list.arm(b, t0 + 1s);
    list.arm(c, t0 + 2s);
    CHECK(list.first() == &a);
    CHECK(a.deadline() == t0 + 5s);
    list.expire_until(t0 + 4999ms);
    CHECK(fired.empty());
    list.expire_until(t0 + 6s);
    CHECK(fired == "ab");
    CHECK(a.list() == nullptr);
    CHECK(c.list() == &list);
    CHECK(list.first() == &c);
}

TEST_CASE("arming again moves a timer to the back; cancelling takes it off") {
    TimerList list(1s);
    std::string fired;
    Timer a([&] { fired += 'a'; }), b([&] { fired += 'b'; }), c([&] { fired += 'c'; });
    list.arm(a, t0);
    list.arm(b, t0);
    list.arm(c, t0);
    list.arm(a, t0 + 500ms);  // a request came: a's idle timeout starts again
    b.cancel();
    b.cancel();  // cancelling twice is harmless
    CHECK(list.first() == &c);
    list.expire_until(t0 + 1s);
    CHECK(fired == "c");
    list.expire_until(t0 + 2s);
    CHECK(fired == "ca");
    CHECK(list.first() == nullptr);
}

TEST_CASE("a timer moves between lists, and leaves its list when destroyed") {
    TimerList idle(5s), request(10s);
    int fired = 0;
    {
        Timer a([&] { ++fired; });
        idle.arm(a, t0);
        request.arm(a, t0);  // one timer, one list at a time
        CHECK(idle.first() == nullptr);
        CHECK(request.first() == &a);
        CHECK(a.list() == &request);
    }
    CHECK(request.first() == nullptr);
    idle.expire_until(t0 + 1h);
    request.expire_until(t0 + 1h);
    CHECK(fired == 0);
}

TEST_CASE("a callback may re-arm its own timer, and expiring early fires it now") {
    TimerList list(1s);
    int fired = 0;
    Timer* self = nullptr;
    Timer periodic([&] {
        ++fired;
        list.arm(*self, t0 + 1s);  // armed again from inside its callback
    });
    self = &periodic;
    list.arm(periodic, t0);
    list.expire_until(t0 + 1s);
    CHECK(fired == 1);
    CHECK(periodic.deadline() == t0 + 2s);
    list.expire_until(t0 + 1s);  // not due again yet
    CHECK(fired == 1);
    list.expire(*list.first());  // what the server does to make room
    CHECK(fired == 2);
}
