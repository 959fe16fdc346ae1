#include "waiting_room.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
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

enum class Move { Stay, Queue, Close };

// What becomes of a guest after poll(): `readable` if its client sent something.
Move next_move(Guest& guest, bool readable, bool saturated, Clock::time_point now) {
    const bool late = now >= leave_by(guest, saturated);
    switch (guest.connection.waiting_for) {
        case WaitingFor::NextRequest: return readable ? Move::Queue : late ? Move::Close : Move::Stay;
        case WaitingFor::MoreBytes: return readable || late ? Move::Queue : Move::Stay;  // late: 408
        case WaitingFor::ClientClose: break;
    }
    if (late || !readable) return late ? Move::Close : Move::Stay;
    // Closing: read and drop what comes until the client closes too, or is gone.
    char discard[kReadBufferSize];
    const ssize_t n = ::recv(guest.connection.socket.get(), discard, sizeof discard, MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? Move::Stay : Move::Close;
    guest.discarded += static_cast<std::size_t>(n);
    return n > 0 && guest.discarded < kLingerBytes ? Move::Stay : Move::Close;
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
WaitingRoom::WaitingRoom(ThreadPool& workers, Work work, std::size_t room)
    : workers_(workers), capacity_(room > 0 ? room : descriptor_limit() / 2), work_(std::move(work)) {}

WaitingRoom::~WaitingRoom() { shutdown(); }
void WaitingRoom::start() { workers_.start(); thread_ = std::thread([this] { run(); }); }

// A job (a std::function) must be copyable and a connection is move-only (it owns its socket):
// the job holds it through a shared_ptr, its one owner until a worker moves the connection on.
bool WaitingRoom::try_admit(ClientConnection& connection) {
    const auto owned = std::make_shared<ClientConnection>(std::move(connection));
    ThreadPool::Job job = [this, owned] { serve(*owned); };
    if (workers_.try_submit(job)) return true;
    connection = std::move(*owned);  // refused: back to the caller, for its 503
    return false;
}

// Its turn is over, or its client sent something: to the back of the queue.
void WaitingRoom::requeue(ClientConnection& connection) {
    const auto owned = std::make_shared<ClientConnection>(std::move(connection));
    workers_.submit([this, owned] { serve(*owned); });
}

// A turn, on a worker. An exception costs one connection, not the process.
void WaitingRoom::serve(ClientConnection& connection) {
    ServeResult result = ServeResult::Closed;
    try {
        result = work_(connection);
    } catch (const std::exception& error) {
        log_line(connection.peer + " dropped: " + error.what());
    }
    // Quiet, or closing carefully: it needs no worker while it waits for its client.
    if (result == ServeResult::TurnOver) requeue(connection);
    else if (result == ServeResult::Waiting || connection.waiting_for == WaitingFor::ClientClose) park(connection);
}  // a finished connection is destroyed with its job, and its socket closed

void WaitingRoom::park(ClientConnection& connection) {
    const std::lock_guard lock(mutex_);
    arrivals_.push_back(std::move(connection));
    wake_.wake();
}

// ANCHOR: run_waiting_room
// One poll() for every connection that waits for its client, and for the eventfd that
// announces arrivals. A connection leaves when its client sends something, or its time is up.
void WaitingRoom::run() {
    std::vector<Guest> guests;
    std::vector<pollfd> watched;
    while (true) {
        const bool saturated = workers_.full();
        {
            const std::lock_guard lock(mutex_);
            for (ClientConnection& arrival : arrivals_) guests.push_back({std::move(arrival), Clock::now()});
            arrivals_.clear();
            if (workers_done_) {  // shutting down: only the careful closes go on
                std::erase_if(guests, [](const Guest& guest) {
                    return guest.connection.waiting_for != WaitingFor::ClientClose;
                });
                if (guests.empty()) return;
            }
        }
        make_room(guests, capacity_);

        watched.assign(1, pollfd{wake_.fd(), POLLIN, 0});
        Deadline next = kNoDeadline;
        for (const Guest& guest : guests) {
            watched.push_back(pollfd{guest.connection.socket.get(), POLLIN, 0});
            next = std::min(next, leave_by(guest, saturated));
        }
        // No guest, no deadline: it sleeps until one arrives.
        if (::poll(watched.data(), watched.size(), poll_timeout(next)) < 0 && errno != EINTR) {
            // No memory, or a descriptor limit lowered below their number: close them, go on.
            log_line(std::string("waiting room: poll: ") + std::strerror(errno) + "; closing its connections");
            guests.clear();
            continue;
        }
        if (watched[0].revents != 0) wake_.clear();

        const Clock::time_point now = Clock::now();
        // Backwards, so that a guest that leaves can give its place to the last one, seen already.
        for (std::size_t i = guests.size(); i-- > 0;) {
            const Move move = next_move(guests[i], watched[i + 1].revents != 0, saturated, now);
            if (move == Move::Stay) continue;
            if (move == Move::Queue) requeue(guests[i].connection);
            if (i + 1 < guests.size()) guests[i] = std::move(guests.back());  // Move::Close: its Fd closes
            guests.pop_back();
        }
    }
}
// ANCHOR_END: run_waiting_room

void WaitingRoom::shutdown() {
    workers_.shutdown();
    workers_done_ = true;  // the room finishes its careful closes, and ends
    wake_.wake();
    if (thread_.joinable()) thread_.join();
}
