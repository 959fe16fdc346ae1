// Turning errno into exceptions, so a failed system call cannot be ignored.
#pragma once

#include <cerrno>
#include <string>
#include <system_error>

// Throws std::system_error carrying the current errno, e.g.
//   if (bind(...) < 0) throw_errno("bind 127.0.0.1:8080");
// what() then reads "bind 127.0.0.1:8080: Address already in use".
[[noreturn]] inline void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}
