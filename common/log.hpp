// Logging to stderr, one line per event.
//
// stdout is reserved for the single "listening on ..." line that scripts and
// tests read; everything else goes to stderr. Each line leaves in a single
// write() so that lines from several threads never interleave mid-line.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

// Writes "2026-01-31T12:00:00.123Z <message>\n" to stderr in one write().
void log_line(std::string_view message);

// The line a web server logs for each request: the client, the request line
// (its control bytes escaped), the status, the bytes sent and the time since
// `start`. An empty `method` stands for a request too broken to name.
//   127.0.0.1:51234 "GET /hello/bob HTTP/1.1" 200 141 0.1ms
void log_request(std::string_view peer, std::string_view method, std::string_view target,
                 std::string_view version, int status, std::uint64_t bytes,
                 std::chrono::steady_clock::time_point start);

// Lets a line through at most once per `interval`: for a condition that
// repeats many times a second (a server out of descriptors), one line
// says it. Not thread-safe: give each thread its own (thread_local).
class LogThrottle {
public:
    explicit LogThrottle(std::chrono::steady_clock::duration interval) : interval_(interval) {}
    void log(std::string_view message);

private:
    std::chrono::steady_clock::duration interval_;
    std::chrono::steady_clock::time_point last_{};  // long ago
};

// While a LogBatch lives, the lines its thread logs are collected and leave
// together, in one write(), when it ends: an event loop that answers a
// hundred requests in one turn then makes one system call for their log
// lines instead of a hundred. Lines from other threads are not held.
class LogBatch {
public:
    LogBatch();
    ~LogBatch();  // writes what was collected
    LogBatch(const LogBatch&) = delete;
    LogBatch& operator=(const LogBatch&) = delete;

    // Writes what this thread's batch holds now: before a connection shows
    // its client that it is done, so that the client finds its requests in
    // the log.
    static void flush();
};
