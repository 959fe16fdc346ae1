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
        if (stopping_ || new_waiting_ >= capacity_) return false;
        queue_.push_back({std::move(job), /*is_new=*/true});
        ++new_waiting_;
    }
    // Notify after unlocking: the woken worker would only block on the mutex we still hold.
    ready_.notify_one();
    return true;
}
// ANCHOR_END: try_submit

void ThreadPool::submit(Job job) {
    const std::lock_guard lock(mutex_);
    queue_.push_back({std::move(job), /*is_new=*/false});  // past the capacity check
    ready_.notify_one();
}

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
            job = std::move(queue_.front().job);
            new_waiting_ -= queue_.front().is_new ? 1 : 0;
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
