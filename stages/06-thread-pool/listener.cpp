#include "listener.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "errors.hpp"
#include "log.hpp"

// ANCHOR: listen_tcp
Fd listen_tcp(const std::string& host, std::uint16_t port) {
    // getaddrinfo turns "127.0.0.1", "::1" or "localhost" into a socket address.
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;      // IPv4 or IPv6, whichever `host` is
    hints.ai_socktype = SOCK_STREAM;  // TCP
    hints.ai_flags = AI_PASSIVE;      // an address to bind to, not to connect to
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
        throw std::runtime_error("cannot use host '" + host + "': " + gai_strerror(rc));
    }
    const addrinfo address = *found;  // the first answer is the one we use
    sockaddr_storage storage{};
    std::memcpy(&storage, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);

    Fd listener(::socket(address.ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener.valid()) throw_errno("socket");

    // Without SO_REUSEADDR a restarted server cannot bind its port for a
    // minute or two, while old connections sit in TIME_WAIT.
    const int yes = 1;
    if (::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) < 0) {
        throw_errno("setsockopt SO_REUSEADDR");
    }
    if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&storage), address.ai_addrlen) <
        0) {
        throw_errno("bind " + host + ":" + service);
    }
    // The backlog is how many finished handshakes may wait for accept().
    // Tutorials often pass 5; under a burst of clients the kernel then drops
    // connection attempts and clients stall for a second or more before
    // retrying. SOMAXCONN asks for the system maximum (the kernel caps it at
    // net.core.somaxconn; see listen(2)).
    if (::listen(listener.get(), SOMAXCONN) < 0) throw_errno("listen");

    // Have accept() wake us for a connection only once its first bytes have arrived
    // (TCP_DEFER_ACCEPT, tcp(7); Linux only): the worker that takes it finds the request
    // there, instead of sleeping in poll() until it comes. A silent client is handed over
    // after about a second anyway (the kernel resends its SYN-ACK), then our timeouts apply.
    const int defer_seconds = 1;
    if (::setsockopt(listener.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof defer_seconds) < 0) {
        throw_errno("setsockopt TCP_DEFER_ACCEPT");
    }
    return listener;
}
// ANCHOR_END: listen_tcp

std::uint16_t bound_port(int listen_fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&storage), &length) < 0) {
        throw_errno("getsockname");
    }
    if (storage.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

namespace {

std::string describe(const sockaddr_storage& storage) {
    char text[INET6_ADDRSTRLEN] = "?";
    std::uint16_t port = 0;
    if (storage.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        port = ntohs(in6->sin6_port);
        return std::string("[") + text + "]:" + std::to_string(port);
    }
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(&storage);
    ::inet_ntop(AF_INET, &in4->sin_addr, text, sizeof text);
    port = ntohs(in4->sin_port);
    return std::string(text) + ":" + std::to_string(port);
}

// How long accept_client pauses when the process is out of descriptors or
// memory: long enough not to spin on the error, short enough that a client
// that closes makes room for the next one almost at once.
constexpr std::chrono::milliseconds kAcceptPause{10};

}  // namespace

Fd accept_client(int listen_fd, std::string& peer) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    Fd client(::accept4(listen_fd, reinterpret_cast<sockaddr*>(&storage), &length, SOCK_CLOEXEC));
    if (client.valid()) {
        peer = describe(storage);
        return client;
    }
    // These concern one client or one moment, never the listener itself: a
    // signal, none queued, a client that gave up or that a firewall refused
    // (EPERM), and the network errors Linux passes on from a pending
    // connection, to be treated as EAGAIN (accept(2), NOTES).
    switch (errno) {
        case EINTR: case EAGAIN: case ECONNABORTED: case EPERM: case EPROTO: case ENOPROTOOPT:
        case ENETDOWN: case ENETUNREACH: case EHOSTDOWN: case EHOSTUNREACH: case ENONET: case EOPNOTSUPP:
            return {};
    }
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors or memory: the connection stays queued. Pause
        // briefly instead of spinning on the same error at full speed, and
        // say so once a second at most, not at every short pause.
        thread_local LogThrottle once_a_second(std::chrono::seconds(1));  // per accepting thread
        once_a_second.log(std::string("accept: ") + std::strerror(errno) + "; pausing");
        std::this_thread::sleep_for(kAcceptPause);
        return {};
    }
    throw_errno("accept");
}
