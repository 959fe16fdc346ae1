// ThreadPool: a fixed number of worker threads fed by a bounded queue.
//
//   acceptor thread                 queue (at most N waiting)       workers
//   accept() -> try_submit() ---->  [conn][conn][conn]  ---------->  serve
//                  |                      ^                            |
//                  | full                 +---- turn over: back in ----+
//                  v
//            503 Service Unavailable
//
// Why a fixed number? A thread per connection costs memory (a stack each)
// and scheduling time; a thousand clients would mean a thousand threads.
// With a pool, the load the server accepts is bounded: what does not fit
// in the queue is refused at once, honestly, with 503, instead of making
// everybody slow.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "connection.hpp"

class ThreadPool {
public:
    // What a worker does with a connection. It returns true to have the
    // connection queued again (its turn is over but not its conversation).
    using Work = std::function<bool(ClientConnection&)>;

    ThreadPool(std::size_t threads, std::size_t queue_capacity);
    ~ThreadPool();  // finishes the queue, then joins the workers
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    // Starts the workers. Separate from the constructor so that the work
    // can refer to the pool (to ask how many connections are waiting).
    void start(Work work);

    // Queues a new connection; false (and `connection` untouched) when the
    // queue is full.
    bool try_submit(ClientConnection& connection);

    // How many connections are waiting for a worker.
    std::size_t waiting() const;

    // Stops taking work; the workers finish every queued connection (each
    // sees the stop and ends quickly) and exit. Idempotent.
    void shutdown();

private:
    void run_worker();

    const std::size_t thread_count_;
    const std::size_t capacity_;
    Work work_;

    mutable std::mutex mutex_;         // guards queue_ and stopping_
    std::condition_variable ready_;    // signalled when queue_ gains work or stopping_ is set
    std::deque<ClientConnection> queue_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};
