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

    // Queues a job; false (and `job` untouched) when `queue_capacity` jobs wait.
    bool try_submit(Job& job);

    // Stops taking work; the workers finish every queued job and exit. Idempotent.
    void shutdown();

private:
    void run_worker();

    const std::size_t thread_count_;
    const std::size_t capacity_;

    std::mutex mutex_;                 // guards the queue and the flag
    std::condition_variable ready_;    // signalled when queue_ gains work, or at a stop
    std::deque<Job> queue_;
    bool stopping_ = false;
    std::vector<std::jthread> workers_;
};
