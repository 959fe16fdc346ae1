// Logging to stderr, one line per event.
//
// stdout is reserved for the single "listening on ..." line that scripts and
// tests read; everything else goes to stderr. Each line leaves in a single
// write() so that lines from several threads never interleave mid-line.
#pragma once

#include <string_view>

// Writes "2026-01-31T12:00:00.123Z <message>\n" to stderr in one write().
void log_line(std::string_view message);
