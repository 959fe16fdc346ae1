// The ThreadPool (stage 6): bounded queue, turns, draining on shutdown.
// From stage 8 on it runs jobs for the event loop instead of connections.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "thread_pool.hpp"

#if COURSE_STAGE < 8
namespace {

ClientConnection named(const std::string& peer) {
    ClientConnection connection;
    connection.peer = peer;
    return connection;
}

}  // namespace

TEST_CASE("a full queue refuses new work and leaves the connection with the caller") {
    ThreadPool pool(1, 2);  // not started: nothing leaves the queue
    ClientConnection a = named("a"), b = named("b"), c = named("c");
    CHECK(pool.try_submit(a));
    CHECK(pool.try_submit(b));
    CHECK(pool.waiting() == 2);
    CHECK_FALSE(pool.try_submit(c));
    CHECK(c.peer == "c");  // not moved from
}

TEST_CASE("every queued connection is served, and shutdown waits for all of them") {
    std::atomic<int> served = 0;
    {
        ThreadPool pool(3, 100);
        for (int i = 0; i < 50; ++i) {
            ClientConnection connection = named(std::to_string(i));
            REQUIRE(pool.try_submit(connection));
        }
        pool.start([&](ClientConnection&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            ++served;
            return false;
        });
        pool.shutdown();
        CHECK(served == 50);
    }
}

TEST_CASE("work that returns true goes back in the queue for another turn") {
    std::atomic<int> turns = 0;
    ThreadPool pool(2, 10);
    pool.start([&](ClientConnection&) { return ++turns < 5; });
    ClientConnection connection = named("x");
    REQUIRE(pool.try_submit(connection));
    for (int i = 0; i < 200 && turns < 5; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    pool.shutdown();
    CHECK(turns == 5);
}

TEST_CASE("after shutdown no work is accepted") {
    ThreadPool pool(1, 10);
    pool.start([](ClientConnection&) { return false; });
    pool.shutdown();
    ClientConnection late = named("late");
    CHECK_FALSE(pool.try_submit(late));
}

#else

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
    CHECK(done == 50);
    ThreadPool::Job late = [] {};
    CHECK_FALSE(pool.try_submit(late));  // after shutdown no work is accepted
}

#endif
