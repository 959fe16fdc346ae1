#include "thread_pool.hpp"

ThreadPool::ThreadPool(std::size_t threads, std::size_t queue_capacity)
    : thread_count_(threads), capacity_(queue_capacity) {}

ThreadPool::~ThreadPool() { shutdown(); }

void ThreadPool::start() {
    for (std::size_t i = 0; i < thread_count_; ++i) workers_.emplace_back([this] { run_worker(); });
}

// ANCHOR: try_submit
bool ThreadPool::try_submit(Job& job) {
    {
        const std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= capacity_) return false;
        queue_.push_back(std::move(job));
    }
    // Notify after unlocking: the woken worker would only block on the mutex we still hold.
    ready_.notify_one();
    return true;
}
// ANCHOR_END: try_submit

// ANCHOR: run_worker
void ThreadPool::run_worker() {
    while (true) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            // wait() releases the mutex while asleep and takes it back on
            // waking; the predicate guards against spurious wake-ups.
            ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing left to finish
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        // The work runs without the lock: the other workers keep going.
        job();
    }
}
// ANCHOR_END: run_worker

void ThreadPool::shutdown() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    workers_.clear();  // a std::jthread joins its thread as it is destroyed
}
