// The listening socket: where a TCP server begins.
#pragma once

#include <cstdint>
#include <string>

#include "fd.hpp"

// socket() + bind() + listen() on host:port (port 0 lets the kernel pick a
// free one). Throws std::system_error naming the step that failed.
Fd listen_tcp(const std::string& host, std::uint16_t port);

// The port the socket is really bound to: the answer to "which port did
// port 0 give us?".
std::uint16_t bound_port(int listen_fd);

// Takes the next connection from the kernel's accept queue. Returns an
// invalid Fd for failures that concern only that one client (it gave up
// before we accepted it, or we are out of descriptors for a moment): the
// server logs them and goes on. `peer` receives "address:port".
// None queued: invalid too. Out of descriptors, `out_of_descriptors` is set:
// the listener stays readable, and trying again at once would spin.
Fd accept_client(int listen_fd, std::string& peer, bool& out_of_descriptors);
