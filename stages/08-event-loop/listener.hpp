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

// Takes the next connection from the kernel's accept queue, non-blocking.
// An invalid Fd when there is none (EAGAIN) or accept4() failed: errno says
// which (accept(2)). `peer` receives "address:port".
Fd accept_client(int listen_fd, std::string& peer);
