// Two connected sockets (socketpair(2), AF_UNIX): a server's end and its
// client's, for unit tests of code that reads and writes a connection.
#pragma once

#include <sys/socket.h>

#include <doctest/doctest.h>

#include "fd.hpp"

struct SocketPair {
    Fd ours;
    Fd client;
    SocketPair() {
        int ends[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == 0);
        ours = Fd(ends[0]);
        client = Fd(ends[1]);
    }
};
