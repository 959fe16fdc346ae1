// The WaitingRoom (stages 6 and 7): connections served a turn at a time on a
// ThreadPool, turns, the capacity that counts only new connections, and the
// room where quiet ones wait without a worker.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "socket_pair.hpp"
#include "thread_pool.hpp"
#include "waiting_room.hpp"

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

// A pool of `threads` and its waiting room, started, with `work` for every turn.
struct Serving {
    ThreadPool pool;
    WaitingRoom room;
    Serving(std::size_t threads, std::size_t queue, const WaitingRoom::Work& work, std::size_t room_size = 0)
        : pool(threads, queue), room(pool, work, room_size) {
        room.start();  // and the pool's workers
    }
};

ServeResult close_it(ClientConnection&) { return ServeResult::Closed; }

}  // namespace

TEST_CASE("a full queue refuses a new connection and leaves it with the caller") {
    ThreadPool pool(1, 2);  // not started: nothing leaves the queue
    WaitingRoom room(pool, close_it);
    ClientConnection a = named("a"), b = named("b"), c = named("c");
    CHECK(room.try_admit(a));
    CHECK(room.try_admit(b));
    CHECK(pool.waiting() == 2);
    CHECK_FALSE(room.try_admit(c));
    CHECK(c.peer == "c");  // not moved from
}

TEST_CASE("every admitted connection is served, and shutdown waits for all of them") {
    std::atomic<int> served = 0;
    ThreadPool pool(3, 100);
    WaitingRoom room(pool, [&](ClientConnection&) {
        std::this_thread::sleep_for(1ms);
        ++served;
        return ServeResult::Closed;
    });
    for (int i = 0; i < 50; ++i) {
        ClientConnection connection = named(std::to_string(i));
        REQUIRE(room.try_admit(connection));
    }
    room.start();  // and the pool's workers
    room.shutdown();
    CHECK(served.load() == 50);
    ClientConnection late = named("late");
    CHECK_FALSE(room.try_admit(late));  // after shutdown no connection is admitted
}

TEST_CASE("a connection whose turn is over goes back in the queue for another turn") {
    std::atomic<int> turns = 0;
    Serving serving(2, 10, [&](ClientConnection& connection) {
        CHECK(connection.peer == "x");  // the same connection, turn after turn
        return ++turns < 5 ? ServeResult::TurnOver : ServeResult::Closed;
    });
    ClientConnection connection = named("x");
    REQUIRE(serving.room.try_admit(connection));
    CHECK(eventually([&] { return turns.load() >= 5; }));
    serving.room.shutdown();
    CHECK(turns.load() == 5);
}

TEST_CASE("connections back for another turn do not count against the queue's capacity") {
    std::atomic<int> turns = 0;
    ThreadPool pool(1, 1);
    WaitingRoom room(pool, [&](ClientConnection&) {
        std::this_thread::sleep_for(50ms);
        return ++turns < 3 ? ServeResult::TurnOver : ServeResult::Closed;
    });
    ClientConnection first = named("first");
    REQUIRE(room.try_admit(first));
    room.start();  // and the pool's workers
    // Once the worker has taken `first` (which will come back), the queue has room for one new.
    REQUIRE(eventually([&] { return pool.waiting() == 0; }));
    ClientConnection second = named("second");
    CHECK(room.try_admit(second));  // one new connection waiting: the capacity
    ClientConnection third = named("third");
    CHECK_FALSE(room.try_admit(third));
    room.shutdown();
}

TEST_CASE("the waiting room hands a connection to a worker when its client sends") {
    std::atomic<int> served = 0;
    Serving serving(1, 4, [&](ClientConnection&) {
        ++served;
        return ServeResult::Closed;
    });
    Fd client;
    ClientConnection connection = waiting(client, WaitingFor::NextRequest, 10s);
    serving.room.park(connection);
    std::this_thread::sleep_for(50ms);
    CHECK(served.load() == 0);  // silence costs no worker
    REQUIRE(::send(client.get(), "GET", 3, 0) == 3);
    REQUIRE(eventually([&] { return served.load() > 0; }));
    CHECK(served.load() == 1);
}

TEST_CASE("a quiet connection goes to the room, and back to a worker when its client sends") {
    std::atomic<int> turns = 0;
    Serving serving(1, 4, [&](ClientConnection& connection) {
        if (++turns > 1) {
            char request[3];
            CHECK(::recv(connection.socket.get(), request, sizeof request, 0) == 3);
            return ServeResult::Closed;
        }
        connection.waiting_for = WaitingFor::NextRequest;
        connection.wait_until = std::chrono::steady_clock::now() + 10s;
        return ServeResult::Waiting;
    });
    Fd client;
    ClientConnection connection = waiting(client, WaitingFor::NextRequest, 10s);
    REQUIRE(serving.room.try_admit(connection));
    REQUIRE(eventually([&] { return turns.load() == 1; }));
    CHECK_FALSE(closed_within(client, 100ms));  // waiting, not closed
    CHECK(turns.load() == 1);
    REQUIRE(::send(client.get(), "GET", 3, 0) == 3);
    CHECK(closed_within(client, 2s));  // its second turn closed it
    CHECK(turns.load() == 2);
}

TEST_CASE("the waiting room closes an idle connection at its deadline, and a late request goes to a worker") {
    std::atomic<int> served = 0;
    Serving serving(1, 4, [&](ClientConnection&) {
        ++served;  // the worker would answer 408
        return ServeResult::Closed;
    });
    Fd idle_client;
    Fd slow_client;
    ClientConnection idle = waiting(idle_client, WaitingFor::NextRequest, 100ms);
    ClientConnection slow = waiting(slow_client, WaitingFor::MoreBytes, 100ms);
    serving.room.park(idle);
    serving.room.park(slow);
    CHECK(closed_within(idle_client, 2s));
    REQUIRE(eventually([&] { return served.load() > 0; }));
    CHECK(served.load() == 1);
}

TEST_CASE("when the waiting room is full, the connection idle the longest makes way") {
    Serving serving(1, 4, close_it, /*room_size=*/2);
    Fd oldest, middle, newest;
    ClientConnection a = waiting(oldest, WaitingFor::NextRequest, 10s);
    ClientConnection b = waiting(middle, WaitingFor::NextRequest, 10s);
    ClientConnection c = waiting(newest, WaitingFor::NextRequest, 10s);
    serving.room.park(a);  // in this order: `a` has waited the longest
    serving.room.park(b);
    serving.room.park(c);
    CHECK(closed_within(oldest, 2s));
    CHECK_FALSE(closed_within(middle, 100ms));
    CHECK_FALSE(closed_within(newest, 100ms));
}

TEST_CASE("a careful close waits for the client's own close, or its deadline, without a worker") {
    Serving serving(1, 4, close_it);
    Fd polite, silent;
    ClientConnection a = waiting(polite, WaitingFor::ClientClose, 10s);
    ClientConnection b = waiting(silent, WaitingFor::ClientClose, 200ms);
    serving.room.park(a);
    serving.room.park(b);
    REQUIRE(::send(polite.get(), "more", 4, 0) == 4);  // read and dropped
    CHECK_FALSE(closed_within(polite, 100ms));
    ::shutdown(polite.get(), SHUT_WR);  // the client closes: so do we
    CHECK(closed_within(polite, 2s));
    CHECK(closed_within(silent, 2s));  // after its deadline
}

TEST_CASE("shutdown ends the idle connections and finishes the careful closes") {
    Fd idle_client, closing_client;
    ClientConnection idle = waiting(idle_client, WaitingFor::NextRequest, 10s);
    ClientConnection closing = waiting(closing_client, WaitingFor::ClientClose, 10s);
    Serving serving(1, 4, close_it);
    serving.room.park(idle);
    serving.room.park(closing);
    std::thread shutting_down([&] { serving.room.shutdown(); });
    CHECK(closed_within(idle_client, 2s));
    CHECK_FALSE(closed_within(closing_client, 100ms));  // still waiting for its client
    ::shutdown(closing_client.get(), SHUT_WR);
    CHECK(closed_within(closing_client, 2s));
    shutting_down.join();
}
