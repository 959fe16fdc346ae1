// Logging to stderr, one line per event.
//
// stdout is reserved for the single "listening on ..." line that scripts and
// tests read; everything else goes to stderr. Each line leaves in a single
// write() so that lines from several threads never interleave mid-line.
#pragma once

#include <string_view>

// Writes "2026-01-31T12:00:00.123Z <message>\n" to stderr in one write().
void log_line(std::string_view message);

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
