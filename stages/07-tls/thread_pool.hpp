// ThreadPool: a fixed number of worker threads fed by a bounded queue of jobs, whatever they do.
//
//   try_submit(job) ---> queue: [job][job][job] ---> workers: job()
//        | full: false, the job stays with the caller (a server: 503)
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

class ThreadPool {
public:
    // What a worker runs; it must not throw (an exception that leaves a thread ends the process).
    using Job = std::function<void()>;

    ThreadPool(std::size_t threads, std::size_t queue_capacity);
    ~ThreadPool();  // finishes the queue, then joins the workers
    void start();   // starts the threads

    // Queues a new job; false (and `job` untouched) when `queue_capacity` new jobs wait.
    bool try_submit(Job& job);

    // Queues a job that goes on with work admitted before: never refused, and not counted.
    void submit(Job job);

    // How many jobs wait for a worker, and whether try_submit would refuse.
    std::size_t waiting() const { const std::lock_guard lock(mutex_); return queue_.size(); }
    bool full() const { const std::lock_guard lock(mutex_); return new_waiting_ >= capacity_; }

    // Stops taking work; the workers finish every queued job and exit. Idempotent.
    void shutdown();

private:
    void run_worker();

    const std::size_t thread_count_;
    const std::size_t capacity_;

    struct Queued { Job job; bool is_new; };  // new: from try_submit, counted
    mutable std::mutex mutex_;         // guards the queue, the count and the flag
    std::condition_variable ready_;    // signalled when queue_ gains work, or at a stop
    std::deque<Queued> queue_;
    std::size_t new_waiting_ = 0;      // how many in queue_ are new
    bool stopping_ = false;
    std::vector<std::jthread> workers_;
};
