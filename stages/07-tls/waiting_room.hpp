// WaitingRoom: connections served on a ThreadPool a turn at a time, and a room for the quiet ones.
//   acceptor thread                 pool's queue (at most N new)    workers
//   accept() -> try_admit() ----->  [conn][conn][conn]  ---------->  serve
//                  |                   ^     ^                         |
//                  | full              |     +-- turn over: back in ---+
//                  v                   |readable                       | quiet
//            503 Service Unavailable  waiting room: one thread, poll() <+
//
// Why a waiting room? A quiet client needs no worker until its next bytes arrive. One thread
// watches them all with one poll() (as Apache's event MPM does): they take no worker, no place.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "connection.hpp"
#include "thread_pool.hpp"
#include "wakeup.hpp"

class WaitingRoom {
public:
    using Work = std::function<ServeResult(ClientConnection&)>;  // a turn; then where it goes

    // A room of 0: as many connections as the descriptor limit allows (see .cpp).
    WaitingRoom(ThreadPool& workers, Work work, std::size_t room = 0);
    ~WaitingRoom();  // shutdown()
    void start();    // starts the workers and the room's thread

    // Queues a new connection for a worker; false (and `connection` untouched) when the
    // queue is full. Connections admitted before and back for another turn are never
    // refused, so clients that are in already cannot lock others out.
    bool try_admit(ClientConnection& connection);

    // Puts a connection in the room until its client sends more or its wait_until passes.
    // When the room is full, the connection idle the longest makes way.
    void park(ClientConnection& connection);

    // Shuts the pool down first (its workers park connections here), then the room, once
    // its careful closes are done. Idempotent.
    void shutdown();

private:
    void serve(ClientConnection& connection);
    void requeue(ClientConnection& connection);
    void run();

    ThreadPool& workers_;
    const std::size_t capacity_;
    const Work work_;
    std::mutex mutex_;  // guards the connections parked but not yet in the poll() set
    std::vector<ClientConnection> arrivals_;
    std::atomic<bool> workers_done_ = false;
    Wakeup wake_;  // written when connections arrive, or when the workers are done
    std::thread thread_;
};
