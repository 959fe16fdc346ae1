// Turning errno into exceptions, so a failed system call cannot be ignored.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

// Throws std::system_error carrying the current errno, e.g.
//   if (bind(...) < 0) throw_errno("bind 127.0.0.1:8080");
// what() then reads "bind 127.0.0.1:8080: Address already in use".
[[noreturn]] inline void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// A setting the server cannot work with: a --root that is not a folder, a
// --cert that does not load. Thrown before the server starts; main() prints
// its one line and exits with status 2, as for a bad flag.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
