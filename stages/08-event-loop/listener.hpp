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

// Takes the next connection from the kernel's accept queue, as a
// non-blocking socket; `peer` receives "address:port". When there is none,
// or accept4() failed, the Fd is invalid and errno says why (EAGAIN: the
// queue is empty; see accept(2) for the rest).
Fd accept_client(int listen_fd, std::string& peer);
