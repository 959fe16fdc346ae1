// Reading and writing a connected socket.
//
// read() and write() on a socket are allowed to do less than asked: read()
// returns whatever has arrived so far, write() may accept only part of the
// buffer. Code that assumes otherwise works on localhost and breaks on a
// real network. These two functions are where that is handled.
#pragma once

#include <cstddef>
#include <string_view>

// How much one read takes at most: a typical request head and more, in a
// buffer small enough to live on a thread's stack. It is also the largest
// TLS record (RFC 8446 section 5.1), so that one read can take a whole one.
inline constexpr std::size_t kReadBufferSize = 16 * 1024;

// Reads what has arrived, up to `capacity` bytes. Returns the byte count, or
// 0 when the peer has closed or reset the connection (both mean: stop).
std::size_t read_some(int fd, char* buffer, std::size_t capacity);

// Writes every byte, looping over partial writes. Returns false if the peer
// is gone (the caller just closes); throws on errors that are our bug.
bool write_all(int fd, std::string_view bytes);
