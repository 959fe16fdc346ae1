// Stream: the bytes of one connection, whatever carries them: plain TCP,
// or TLS over TCP (tls.hpp). The connection code reads and writes through a
// Stream and never asks which (Go's net.Conn and tls.Conn, Beast's streams).
//
// A call does what it can now, and says what it waits for (a Step). The
// event loop (event_loop.hpp) waits for what every connection waits for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

// What a call did, or what it needs before it can go on.
enum class Step {
    Done,       // it did some of its work: `n` bytes
    WantRead,   // call again once the socket is readable
    WantWrite,  // call again once the socket is writable
    Ended,      // the client is gone, or broke the protocol: close
};

// Where a handshake stands after handshake().
enum class Handshake {
    Done,       // requests may follow
    WantRead,   // the client has not sent enough yet: call again when it has
    WantWrite,  // our side's buffer is full: call again when it has room
    Failed,     // the client speaks no TLS we accept (`error` says why)
    PlainHttp,  // the client sent plain HTTP to the TLS port
};

// ANCHOR: stream
class Stream {
public:
    virtual ~Stream() = default;

    // The socket underneath, to wait on. The stream does not own it.
    int fd() const { return fd_; }

    // The handshake that TLS needs before any request, as far as the bytes
    // that have arrived allow. A plain stream has none: Done.
    virtual Handshake handshake(std::string& error) = 0;
    virtual bool handshake_done() const = 0;

    // Reads what has arrived, up to `capacity` bytes: Done with `n` bytes,
    // Ended when the client is gone, WantRead when nothing is here yet.
    virtual Step read_some(char* buffer, std::size_t capacity, std::size_t& n) = 0;
    // Whether bytes from the client wait unread, in the socket or in here.
    virtual bool has_unread() = 0;
    // Whether bytes wait in here, where a wait on the socket cannot see
    // them: read them before waiting.
    virtual bool has_buffered() const = 0;

    // Sends what the socket takes now of `bytes`: Done with `n` of them.
    // After WantWrite, pass the same bytes again (perhaps more after them).
    // `more`: more bytes follow at once (MSG_MORE).
    virtual Step write_some(std::string_view bytes, std::size_t& n, bool more) = 0;
    // The same for `length` bytes of the open file `file` from `offset`.
    virtual Step write_file(int file, std::uint64_t offset, std::uint64_t length, std::size_t& n) = 0;

    // "Nothing more from us": TLS's close_notify, then TCP's FIN (shutdown
    // SHUT_WR). Reading goes on: that is how a careful close waits.
    virtual void close() = 0;

protected:
    explicit Stream(int fd) : fd_(fd) {}

private:
    int fd_;
};
// ANCHOR_END: stream

// Plain TCP over `fd`: the socket's own calls (socket_io.hpp), non-blocking.
std::unique_ptr<Stream> plain_stream(int fd);
