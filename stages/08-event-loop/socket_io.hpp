// Reading and writing a connected socket.
//
// read() and write() on a socket are allowed to do less than asked: read()
// returns whatever has arrived so far, write() may accept only part of the
// buffer. Code that assumes otherwise works on localhost and breaks on a
// real network. These functions are where that is handled.
//
// The event loop's sockets are non-blocking: where a call would wait, it
// returns nothing (std::nullopt) at once; the loop waits for all at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

// How much one read takes at most: a typical request head and more, in a
// buffer small enough to live on a thread's stack. It is also the largest
// TLS record (RFC 8446 section 5.1), so that one read can take a whole one.
inline constexpr std::size_t kReadBufferSize = 16 * 1024;

// Reads what has arrived, up to `capacity` bytes. Returns the byte count, or
// 0 when the peer has closed or reset the connection (both mean: stop).
std::optional<std::size_t> read_some(int fd, char* buffer, std::size_t capacity);

// Writes what the socket's buffer takes now. Returns the byte count, or 0
// if the peer is gone; throws on errors that are our bug.
// `more`: more bytes follow at once (MSG_MORE), so the kernel may hold a
// part-filled packet back to fill it with them.
std::optional<std::size_t> write_some(int fd, std::string_view bytes, bool more = false);

// Sends what the socket takes now of `length` bytes of `file`, from
// `offset`, with sendfile(2). Returns the count as write_some does; 0 also
// if the file ended early (it shrank since the length was taken: the
// promised Content-Length cannot be kept).
std::optional<std::size_t> send_file(int socket, int file, std::uint64_t offset, std::uint64_t length);
