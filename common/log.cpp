#include "log.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace {

// The lines held by this thread's open LogBatch objects (the outermost one
// writes them); the buffer is kept, so a batch allocates nothing once warm.
thread_local int t_open_batches = 0;
thread_local std::string t_batch;

void write_stderr(const std::string& text) {
    // Best effort: a log line that cannot be written is not worth failing for.
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, text.data(), text.size());
}

}  // namespace

void log_line(std::string_view message) {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t seconds = system_clock::to_time_t(now);
    const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;

    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[40];
    const int n = std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ",
                                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                                utc.tm_min, utc.tm_sec, static_cast<int>(millis));

    if (t_open_batches > 0) {
        t_batch.append(stamp, static_cast<std::size_t>(n)).append(message) += '\n';
        return;
    }
    std::string line(stamp, static_cast<std::size_t>(n));
    line += message;
    line += '\n';
    write_stderr(line);
}

LogBatch::LogBatch() { ++t_open_batches; }

LogBatch::~LogBatch() {
    if (--t_open_batches == 0) flush();
}

void LogBatch::flush() {
    if (t_batch.empty()) return;
    write_stderr(t_batch);
    t_batch.clear();
}
