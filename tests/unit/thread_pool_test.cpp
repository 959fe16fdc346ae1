// The ThreadPool (stage 6): bounded queue, turns, the waiting room,
// draining on shutdown. From stage 8 on it runs jobs for the event loop
// instead of connections.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "socket_pair.hpp"
#include "thread_pool.hpp"

#if COURSE_STAGE < 8
using namespace std::chrono_literals;

namespace {

ClientConnection named(const std::string& peer) {
    ClientConnection connection;
    connection.peer = peer;
    return connection;
}

// A connection whose client is `client`, the other end of a socket pair,
// waiting in the room for `what` until `wait`.
ClientConnection waiting(Fd& client, WaitingFor what, std::chrono::milliseconds wait) {
    SocketPair pair;
    client = std::move(pair.client);
    ClientConnection connection;
    connection.socket = std::move(pair.ours);
    connection.waiting_for = what;
    connection.wait_until = std::chrono::steady_clock::now() + wait;
    return connection;
}

// Whether `condition` comes true within `limit`: for what the pool's threads
// do soon after. The limit is far above what a working pool needs, even on a
// loaded machine; only a broken one reaches it.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// Whether the server's end was closed within `timeout`: the client reads EOF.
bool closed_within(const Fd& client, std::chrono::milliseconds timeout) {
    pollfd p{client.get(), POLLIN, 0};
    char byte = 0;
    return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 && ::recv(client.get(), &byte, 1, 0) == 0;
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
            return ServeResult::Closed;
        });
        pool.shutdown();
        CHECK(served.load() == 50);
    }
}

TEST_CASE("work whose turn is over goes back in the queue for another turn") {
    std::atomic<int> turns = 0;
    ThreadPool pool(2, 10);
    pool.start([&](ClientConnection&) { return ++turns < 5 ? ServeResult::TurnOver : ServeResult::Closed; });
    ClientConnection connection = named("x");
    REQUIRE(pool.try_submit(connection));
    CHECK(eventually([&] { return turns.load() >= 5; }));
    pool.shutdown();
    CHECK(turns.load() == 5);
}

TEST_CASE("connections back for another turn do not count against the queue's capacity") {
    std::atomic<int> turns = 0;
    ThreadPool pool(1, 1);
    ClientConnection first = named("first");
    REQUIRE(pool.try_submit(first));
    pool.start([&](ClientConnection&) {
        std::this_thread::sleep_for(50ms);
        return ++turns < 3 ? ServeResult::TurnOver : ServeResult::Closed;
    });
    // Once the worker has taken `first` (which will come back), the queue has room for one new.
    REQUIRE(eventually([&] { return pool.waiting() == 0; }));
    ClientConnection second = named("second");
    CHECK(pool.try_submit(second));  // one new connection waiting: the capacity
    ClientConnection third = named("third");
    CHECK_FALSE(pool.try_submit(third));
    pool.shutdown();
}

TEST_CASE("the waiting room hands a connection to a worker when its client sends") {
    std::atomic<int> served = 0;
    ThreadPool pool(1, 4);
    pool.start([&](ClientConnection&) {
        ++served;
        return ServeResult::Closed;
    });
    Fd client;
    ClientConnection connection = waiting(client, WaitingFor::NextRequest, 10s);
    pool.park(connection);
    std::this_thread::sleep_for(50ms);
    CHECK(served.load() == 0);  // silence costs no worker
    REQUIRE(::send(client.get(), "GET", 3, 0) == 3);
    REQUIRE(eventually([&] { return served.load() > 0; }));
    CHECK(served.load() == 1);
}

TEST_CASE("the waiting room closes an idle connection at its deadline, and a late request goes to a worker") {
    std::atomic<int> served = 0;
    ThreadPool pool(1, 4);
    pool.start([&](ClientConnection&) {
        ++served;  // the worker would answer 408
        return ServeResult::Closed;
    });
    Fd idle_client;
    Fd slow_client;
    ClientConnection idle = waiting(idle_client, WaitingFor::NextRequest, 100ms);
    ClientConnection slow = waiting(slow_client, WaitingFor::MoreBytes, 100ms);
    pool.park(idle);
    pool.park(slow);
    CHECK(closed_within(idle_client, 2s));
    REQUIRE(eventually([&] { return served.load() > 0; }));
    CHECK(served.load() == 1);
}

TEST_CASE("when the waiting room is full, the connection idle the longest makes way") {
    ThreadPool pool(1, 4, /*room=*/2);
    pool.start([](ClientConnection&) { return ServeResult::Closed; });
    Fd oldest, middle, newest;
    ClientConnection a = waiting(oldest, WaitingFor::NextRequest, 10s);
    ClientConnection b = waiting(middle, WaitingFor::NextRequest, 10s);
    ClientConnection c = waiting(newest, WaitingFor::NextRequest, 10s);
    pool.park(a);  // in this order: `a` has waited the longest
    pool.park(b);
    pool.park(c);
    CHECK(closed_within(oldest, 2s));
    CHECK_FALSE(closed_within(middle, 100ms));
    CHECK_FALSE(closed_within(newest, 100ms));
}

TEST_CASE("a careful close waits for the client's own close, or its deadline, without a worker") {
    ThreadPool pool(1, 4);
    pool.start([](ClientConnection&) { return ServeResult::Closed; });
    Fd polite, silent;
    ClientConnection a = waiting(polite, WaitingFor::ClientClose, 10s);
    ClientConnection b = waiting(silent, WaitingFor::ClientClose, 200ms);
    pool.park(a);
    pool.park(b);
    REQUIRE(::send(polite.get(), "more", 4, 0) == 4);  // read and dropped
    CHECK_FALSE(closed_within(polite, 100ms));
    ::shutdown(polite.get(), SHUT_WR);  // the client closes: so do we
    CHECK(closed_within(polite, 2s));
    CHECK(closed_within(silent, 2s));  // after its deadline
}

TEST_CASE("after shutdown no work is accepted") {
    ThreadPool pool(1, 10);
    pool.start([](ClientConnection&) { return ServeResult::Closed; });
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
    CHECK(done.load() == 50);
    ThreadPool::Job late = [] {};
    CHECK_FALSE(pool.try_submit(late));  // after shutdown no work is accepted
}

#endif
