// The ThreadPool (stage 6): a bounded queue of jobs, workers, draining on
// shutdown. Stages 6 and 7 also queue jobs past the bound, for work admitted
// before (waiting_room_test.cpp tests the connections on top of it).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "thread_pool.hpp"

TEST_CASE("a full queue refuses a job and leaves it with the caller") {
    ThreadPool pool(1, 2);  // not started: nothing leaves the queue
    int ran = 0;
    ThreadPool::Job a = [&] { ++ran; }, b = a, c = a;
    CHECK(pool.try_submit(a));
    CHECK(pool.try_submit(b));
    CHECK_FALSE(pool.try_submit(c));
    REQUIRE(c);  // not moved from
    c();
    CHECK(ran == 1);
}

TEST_CASE("every queued job runs, and shutdown waits for all of them") {
    std::atomic<int> done = 0;
    ThreadPool pool(3, 100);
    for (int i = 0; i < 50; ++i) {
        ThreadPool::Job job = [&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            ++done;
        };
        REQUIRE(pool.try_submit(job));
    }
    pool.start();
    pool.shutdown();
    CHECK(done.load() == 50);
    ThreadPool::Job late = [] {};
    CHECK_FALSE(pool.try_submit(late));  // after shutdown no work is accepted
}

#if COURSE_STAGE < 8
TEST_CASE("work admitted before is queued past the capacity, and does not count against it") {
    ThreadPool pool(1, 1);  // not started: nothing leaves the queue
    std::atomic<int> done = 0;
    for (int i = 0; i < 3; ++i) pool.submit([&] { ++done; });
    CHECK_FALSE(pool.full());
    ThreadPool::Job first = [&] { ++done; }, second = first;
    CHECK(pool.try_submit(first));  // one new job waiting: the capacity
    CHECK(pool.full());
    CHECK_FALSE(pool.try_submit(second));
    pool.submit([&] { ++done; });  // still taken
    CHECK(pool.waiting() == 5);
    pool.start();
    pool.shutdown();
    CHECK(done.load() == 5);
    CHECK(pool.waiting() == 0);
}
#endif
