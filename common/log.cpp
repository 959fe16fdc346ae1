#include "log.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "strings.hpp"

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

    // "2026-01-31T12:00:00." changes once a second: format it then, and
    // only the milliseconds for every line (a busy server logs thousands a
    // second).
    thread_local std::time_t formatted = -1;
    thread_local char stamp[40];
    if (seconds != formatted) {
        std::tm utc{};
        gmtime_r(&seconds, &utc);
        std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.", utc.tm_year + 1900,
                      utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
        formatted = seconds;
    }
    constexpr std::size_t n = sizeof "2026-01-31T12:00:00." - 1;
    stamp[n] = static_cast<char>('0' + millis / 100);
    stamp[n + 1] = static_cast<char>('0' + millis / 10 % 10);
    stamp[n + 2] = static_cast<char>('0' + millis % 10);
    stamp[n + 3] = 'Z';
    stamp[n + 4] = ' ';

    if (t_open_batches > 0) {
        t_batch.append(stamp, n + 5).append(message) += '\n';
        return;
    }
    std::string line(stamp, n + 5);
    line += message;
    line += '\n';
    write_stderr(line);
}

void log_request(std::string_view peer, std::string_view method, std::string_view target,
                 std::string_view version, int status, std::uint64_t bytes,
                 std::chrono::steady_clock::time_point start) {
    using namespace std::chrono;
    const auto micros = duration_cast<microseconds>(steady_clock::now() - start).count();
    // One string, appended to in place: a line per request is worth not
    // making a temporary string for each of its parts.
    std::string line;
    line.reserve(64 + peer.size() + method.size() + target.size() + version.size());
    line.append(peer).append(" \"");
    if (method.empty()) line.append("(no valid request)");
    else line.append(method).append(" ").append(escape_bytes(target)).append(" ").append(version);
    line.append("\" ").append(std::to_string(status)).append(" ").append(std::to_string(bytes));
    line.append(" ").append(std::to_string(micros / 1000)).append(".");
    line.append(std::to_string(micros % 1000 / 100)).append("ms");
    log_line(line);
}

void LogThrottle::log(std::string_view message) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < interval_) return;
    last_ = now;
    log_line(message);
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
