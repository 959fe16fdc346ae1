// Stream: the bytes of one connection, whatever carries them.
//
// From this stage on, a connection's bytes travel either straight over TCP
// or inside TLS over TCP (tls.hpp). The connection code (connection.cpp)
// reads and writes through a Stream and never asks which. Go's net/http
// does the same: its server wraps a net.Conn in a tls.Conn, shakes hands,
// and from there it is "HTTP/1.x" for both; Beast's TLS server differs from
// its plain one by the type of its stream alone.
//
// No call waits without a limit: a read until its deadline or a stop, a
// write as long as the send timeout the stream was made with.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "stop_signal.hpp"
#include "wait.hpp"

// Where a handshake stands after handshake().
enum class Handshake {
    Done,       // requests may follow
    TimedOut,   // the client has not sent enough yet: call again when it has
    Stopped,    // a stop was requested
    Failed,     // the client speaks no TLS we accept (`error` says why)
    PlainHttp,  // the client sent plain HTTP to the TLS port
};

// ANCHOR: stream
class Stream {
public:
    virtual ~Stream() = default;

    // The socket underneath, for poll(). The stream does not own it.
    int fd() const { return fd_; }

    // The handshake that TLS needs before any request, as far as the bytes
    // that arrive by `deadline` allow. A plain stream has none: Done.
    virtual Handshake handshake(Deadline deadline, const StopSignal& stop, std::string& error) = 0;
    virtual bool handshake_done() const = 0;

    // Reads what has arrived, up to `capacity` bytes, waiting until
    // `deadline` or a stop. Ready: `n` bytes, 0 if the client is gone.
    virtual Waited read_some(char* buffer, std::size_t capacity, std::size_t& n, Deadline deadline,
                             const StopSignal* stop = nullptr) = 0;
    // Whether bytes from the client wait unread, in the socket or in here.
    virtual bool has_unread() = 0;

    // Every byte, or false: the client is gone, or took nothing for the
    // whole send timeout.
    virtual bool write_all(std::string_view bytes) = 0;
    // `head`, then `length` bytes of the open file `file` from `offset`.
    virtual bool write_file(std::string_view head, int file, std::uint64_t offset, std::uint64_t length) = 0;

    // "Nothing more from us": TLS's close_notify, then TCP's FIN (shutdown
    // SHUT_WR). Reading goes on: that is how a careful close waits.
    virtual void close() = 0;

protected:
    explicit Stream(int fd) : fd_(fd) {}

private:
    int fd_;
};
// ANCHOR_END: stream

// Plain TCP over `fd`: the socket's own calls (socket_io.hpp), each send()
// waiting at most `send_timeout` for room.
std::unique_ptr<Stream> plain_stream(int fd, std::chrono::milliseconds send_timeout);
