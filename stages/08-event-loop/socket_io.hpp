// Reading and writing a connected socket.
//
// read() and write() on a socket are allowed to do less than asked: read()
// returns whatever has arrived so far, write() may accept only part of the
// buffer. Code that assumes otherwise works on localhost and breaks on a
// real network. read_some and write_some are where that is handled.
//
// The sockets of the event loop are non-blocking: where a blocking call
// would wait, these return at once and say what to wait for.
#pragma once

#include <cstddef>
#include <string_view>

// What one non-blocking read or write did.
struct IoResult {
    enum Status {
        Done,       // `bytes` bytes were read or written
        WantRead,   // nothing now: call again once the socket is readable
        WantWrite,  // nothing now: call again once the socket is writable
        Closed,     // the peer has closed or reset the connection: stop
    };
    Status status = Closed;
    std::size_t bytes = 0;
};

// Reads what has arrived, up to `capacity` bytes.
IoResult read_some(int fd, char* buffer, std::size_t capacity);

// Writes as many of `bytes` as the socket's buffer takes now.
IoResult write_some(int fd, std::string_view bytes);
