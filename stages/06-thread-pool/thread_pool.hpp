// ThreadPool: a fixed number of worker threads fed by a bounded queue, and a
// waiting room for the connections that have nothing to say yet.
//
//   acceptor thread                 queue (at most N new ones)      workers
//   accept() -> try_submit() ---->  [conn][conn][conn]  ---------->  serve
//                  |                   ^     ^                         |
//                  | full              |     +-- turn over: back in ---+
//                  v                   |readable                       | quiet
//            503 Service Unavailable  waiting room: one thread, poll() <+
//
// Why a fixed number? A thread per connection costs memory (a stack each)
// and scheduling time; a thousand clients would mean a thousand threads.
// With a pool, the load the server accepts is bounded: what does not fit
// in the queue is refused at once, honestly, with 503, instead of making
// everybody slow.
//
// Why a waiting room? A quiet client needs no worker until its next bytes
// arrive. One thread watches them all with one poll() (as Apache's event MPM
// does): however many, they cost neither a worker nor a place in the queue.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "connection.hpp"
#include "wakeup.hpp"

class ThreadPool {
public:
    // What a worker does with a connection; the result says where it goes next.
    using Work = std::function<ServeResult(ClientConnection&)>;

    // A room of 0: as many connections as the descriptor limit allows (see .cpp).
    ThreadPool(std::size_t threads, std::size_t queue_capacity, std::size_t room = 0);
    ~ThreadPool();  // finishes the queue, then joins the workers
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    // Starts the threads. Separate from the constructor so that the work can
    // refer to the pool (to ask how many connections are waiting).
    void start(Work work);

    // Queues a new connection; false (and `connection` untouched) when the
    // queue is full: when `queue_capacity` new connections wait for their
    // first turn. Connections admitted before and back for another turn are
    // never refused, so clients that are in already cannot lock others out.
    bool try_submit(ClientConnection& connection);

    // Puts a connection in the waiting room until its client sends more or
    // its connection.wait_until passes. When the room is full, the
    // connection idle the longest makes way.
    void park(ClientConnection& connection);

    // How many connections are waiting for a worker.
    std::size_t waiting() const;

    // Stops taking work; the workers finish every queued connection (each
    // sees the stop and ends quickly) and exit, then the waiting room once
    // its careful closes are done. Idempotent.
    void shutdown();

private:
    void run_worker();
    void requeue(ClientConnection& connection);
    void run_waiting_room();

    const std::size_t thread_count_;
    const std::size_t capacity_;
    const std::size_t room_capacity_;
    Work work_;

    struct Queued { ClientConnection connection; bool is_new; };  // new: from try_submit, not served yet
    mutable std::mutex mutex_;         // guards the queue, the flags and the arrivals
    std::condition_variable ready_;    // signalled when queue_ gains work, or at a stop
    std::deque<Queued> queue_;
    std::size_t new_waiting_ = 0;      // how many in queue_ are new
    bool stopping_ = false;
    std::vector<std::thread> workers_;
    // The waiting room's: connections parked but not yet in its poll() set,
    // and an eventfd, written when they arrive or when the workers are done.
    std::vector<ClientConnection> arrivals_;
    bool workers_done_ = false;
    Wakeup wake_room_;
    std::thread room_;
};
