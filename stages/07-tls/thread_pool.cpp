#include "thread_pool.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "log.hpp"
#include "socket_io.hpp"
#include "wait.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// While the queue is full, an idle connection stays this long at most, whatever --idle-timeout
// says: under pressure the quiet make way (RFC 9112 section 9.5 lets a server close them).
constexpr std::chrono::seconds kSaturatedIdleTimeout{1};

// A closing connection may send this much before we close it anyway: the
// careful close protects the response we sent, not a flood of bytes.
constexpr std::size_t kLingerBytes = 1024 * 1024;

// ANCHOR: guest
// A connection in the waiting room, since when, and what it sent while closing.
struct Guest {
    ClientConnection connection;
    Clock::time_point since;
    std::size_t discarded = 0;
};

bool idle(const Guest& guest) { return guest.connection.waiting_for == WaitingFor::NextRequest; }

// When its wait ends. While the pool is saturated an idle one waits less.
Clock::time_point leave_by(const Guest& guest, bool saturated) {
    const Clock::time_point until = guest.connection.wait_until;
    return saturated && idle(guest) ? std::min(until, guest.since + kSaturatedIdleTimeout) : until;
}

enum class Step { Stay, Queue, Close };

// What becomes of a guest after poll(): `readable` if its client sent something.
Step next_step(Guest& guest, bool readable, bool saturated, Clock::time_point now) {
    const bool late = now >= leave_by(guest, saturated);
    switch (guest.connection.waiting_for) {
        case WaitingFor::NextRequest: return readable ? Step::Queue : late ? Step::Close : Step::Stay;
        case WaitingFor::MoreBytes: return readable || late ? Step::Queue : Step::Stay;  // late: 408
        case WaitingFor::ClientClose: break;
    }
    if (late || !readable) return late ? Step::Close : Step::Stay;
    // Closing: read and drop what comes until the client closes too, or is gone.
    char discard[kReadBufferSize];
    const ssize_t n = ::recv(guest.connection.socket.get(), discard, sizeof discard, MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? Step::Stay : Step::Close;
    guest.discarded += static_cast<std::size_t>(n);
    return n > 0 && guest.discarded < kLingerBytes ? Step::Stay : Step::Close;
}
// ANCHOR_END: guest

// ANCHOR: make_room
// The room is full: the connection idle the longest makes way. Without an
// idle one, the newest guest is closed: there is no descriptor for it.
void make_room(std::vector<Guest>& guests, std::size_t capacity) {
    while (guests.size() > capacity) {
        const auto longest_idle = std::min_element(
            guests.begin(), guests.end(),
            [](const Guest& a, const Guest& b) { return idle(a) && (!idle(b) || a.since < b.since); });
        guests.erase(idle(*longest_idle) ? longest_idle : guests.end() - 1);
    }
}
// ANCHOR_END: make_room

}  // namespace

// The waiting room costs a descriptor per connection, no thread: by default half of the
// process's descriptor limit, the other half for everything else.
ThreadPool::ThreadPool(std::size_t threads, std::size_t queue_capacity, std::size_t room)
    : thread_count_(threads),
      capacity_(queue_capacity),
      room_capacity_(room > 0 ? room : descriptor_limit() / 2) {}

ThreadPool::~ThreadPool() { shutdown(); }

void ThreadPool::start(Work work) {
    work_ = std::move(work);
    for (std::size_t i = 0; i < thread_count_; ++i) workers_.emplace_back([this] { run_worker(); });
    room_ = std::thread([this] { run_waiting_room(); });
}

// ANCHOR: try_submit
bool ThreadPool::try_submit(ClientConnection& connection) {
    {
        const std::lock_guard lock(mutex_);
        if (stopping_ || new_waiting_ >= capacity_) return false;
        queue_.push_back({std::move(connection), /*is_new=*/true});
        ++new_waiting_;
    }
    // Notify after unlocking, so the woken worker does not block at once
    // on the mutex we still hold.
    ready_.notify_one();
    return true;
}
// ANCHOR_END: try_submit

void ThreadPool::park(ClientConnection& connection) {
    {
        const std::lock_guard lock(mutex_);
        arrivals_.push_back(std::move(connection));
    }
    wake_room_.wake();
}

std::size_t ThreadPool::waiting() const {
    const std::lock_guard lock(mutex_);
    return queue_.size();
}

// ANCHOR: run_worker
void ThreadPool::run_worker() {
    while (true) {
        ClientConnection connection;
        {
            std::unique_lock lock(mutex_);
            // wait() releases the mutex while asleep and takes it back on
            // waking; the predicate guards against spurious wake-ups.
            ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing left to finish
            connection = std::move(queue_.front().connection);
            new_waiting_ -= queue_.front().is_new ? 1 : 0;
            queue_.pop_front();
        }
        // The work runs without the lock: the other workers keep going. Its
        // exception costs one connection, not the process (std::terminate).
        ServeResult result = ServeResult::Closed;
        try {
            result = work_(connection);
        } catch (const std::exception& error) {
            log_line(connection.peer + " dropped: " + error.what());
        }
        switch (result) {
            case ServeResult::TurnOver: requeue(connection); break;
            case ServeResult::Waiting: park(connection); break;  // quiet: it needs no worker
            case ServeResult::Closed:  // and a careful close goes on in the waiting room
                if (connection.waiting_for == WaitingFor::ClientClose) park(connection);
                break;
        }
    }  // a finished connection is destroyed here, and its socket closed
}
// ANCHOR_END: run_worker

// Its turn is over, or its client sent something: to the back of the queue,
// past the capacity check, since it was admitted already.
void ThreadPool::requeue(ClientConnection& connection) {
    const std::lock_guard lock(mutex_);
    queue_.push_back({std::move(connection), /*is_new=*/false});
    ready_.notify_one();
}

// ANCHOR: run_waiting_room
// One poll() for every connection that waits for its client, and for the eventfd that
// announces arrivals. A connection leaves when its client sends something, or its time is up.
void ThreadPool::run_waiting_room() {
    std::vector<Guest> guests;
    std::vector<pollfd> watched;
    while (true) {
        bool saturated = false;
        {
            const std::lock_guard lock(mutex_);
            for (ClientConnection& arrival : arrivals_) guests.push_back({std::move(arrival), Clock::now()});
            arrivals_.clear();
            saturated = new_waiting_ >= capacity_;
            if (workers_done_) {  // shutting down: only the careful closes go on
                std::erase_if(guests, [](const Guest& guest) {
                    return guest.connection.waiting_for != WaitingFor::ClientClose;
                });
                if (guests.empty()) return;
            }
        }
        make_room(guests, room_capacity_);

        Clock::time_point now = Clock::now();
        watched.assign(1, pollfd{wake_room_.fd(), POLLIN, 0});
        Deadline next = kNoDeadline;
        for (const Guest& guest : guests) {
            watched.push_back(pollfd{guest.connection.socket.get(), POLLIN, 0});
            next = std::min(next, leave_by(guest, saturated));
        }
        // No guest, no deadline: it sleeps until one arrives.
        if (::poll(watched.data(), watched.size(), poll_timeout(next)) < 0 && errno != EINTR) {
            // No memory, or a descriptor limit lowered below their number:
            // guests that cannot be watched are closed; the room goes on.
            log_line(std::string("waiting room: poll: ") + std::strerror(errno) + "; closing its connections");
            guests.clear();
            continue;
        }
        if (watched[0].revents != 0) wake_room_.clear();

        now = Clock::now();
        std::vector<ClientConnection> ready;
        // Backwards, so that a guest that leaves can give its place to the last one, seen already.
        for (std::size_t i = guests.size(); i-- > 0;) {
            const Step step = next_step(guests[i], watched[i + 1].revents != 0, saturated, now);
            if (step == Step::Stay) continue;
            if (step == Step::Queue) ready.push_back(std::move(guests[i].connection));
            if (i + 1 < guests.size()) guests[i] = std::move(guests.back());  // Step::Close: its Fd closes
            guests.pop_back();
        }
        for (ClientConnection& connection : ready) requeue(connection);
    }
}
// ANCHOR_END: run_waiting_room

void ThreadPool::shutdown() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& worker : workers_) {
        if (worker.joinable()) worker.join();
    }
    workers_.clear();
    {
        const std::lock_guard lock(mutex_);
        workers_done_ = true;  // the waiting room finishes its careful closes, and ends
    }
    wake_room_.wake();
    if (room_.joinable()) room_.join();
}
