#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <thread>

#include "errors.hpp"
#include "strings.hpp"

std::string Response::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return "";
}

bool Response::has_header(std::string_view name) const {
    for (const auto& header : headers) {
        if (iequals(header.first, name)) return true;
    }
    return false;
}

Connection::Connection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (!fd_.valid()) throw_errno("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
        throw_errno("connect to port " + std::to_string(port));
    }
    // Every piece we send must leave at once, not wait to be merged (Nagle).
    const int yes = 1;
    ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
}

void Connection::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return;  // the server closed early; what it said is in received()
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

void Connection::send_in_pieces(std::string_view bytes, const std::vector<std::size_t>& cuts) {
    std::size_t start = 0;
    for (const std::size_t cut : cuts) {
        if (cut <= start || cut >= bytes.size()) continue;
        send(bytes.substr(start, cut - start));
        start = cut;
        // Long enough for the server to read this piece on its own.
        std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    send(bytes.substr(start));
}

void Connection::shutdown_write() { ::shutdown(fd_.get(), SHUT_WR); }

bool Connection::receive_more(std::chrono::steady_clock::time_point deadline) {
    if (eof_ || !fd_.valid()) return false;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_.get(), POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return false;
        char buffer[64 * 1024];
        const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            eof_ = true;  // EOF, or a reset: either way nothing more will come
            return false;
        }
        received_.append(buffer, static_cast<std::size_t>(n));
        return true;
    }
}

namespace {

// Parses a response head (status line + headers, without the blank line).
bool parse_head(std::string_view head, Response& response) {
    const auto lines = split(head, '\n');
    std::string_view status_line = lines.front();
    if (status_line.ends_with('\r')) status_line.remove_suffix(1);
    const auto first_space = status_line.find(' ');
    if (first_space == std::string_view::npos) return false;
    response.version = status_line.substr(0, first_space);
    const std::string_view rest = status_line.substr(first_space + 1);
    const auto code = parse_decimal(rest.substr(0, 3));
    if (!code || rest.size() < 3 || (rest.size() > 3 && rest[3] != ' ')) return false;
    response.status = static_cast<int>(*code);
    response.reason = rest.size() > 4 ? std::string(rest.substr(4)) : "";
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        if (line.ends_with('\r')) line.remove_suffix(1);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return false;
        response.headers.emplace_back(line.substr(0, colon), trim_ows(line.substr(colon + 1)));
    }
    return true;
}

}  // namespace

Response Connection::read_response(bool head_request, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Response response;
    std::size_t head_end;
    while ((head_end = received_.find("\r\n\r\n", consumed_)) == std::string::npos) {
        if (!receive_more(deadline)) {
            response.error = eof_ ? "the server closed the connection before a complete response"
                                  : "no complete response within " +
                                        std::to_string(timeout.count()) + " ms";
            return response;
        }
    }
    if (!parse_head(std::string_view(received_).substr(consumed_, head_end - consumed_),
                    response)) {
        response.status = 0;
        response.error = "the response head is not valid HTTP";
        return response;
    }
    std::size_t body_start = head_end + 4;
    std::size_t length = 0;
    const bool has_body = !head_request && response.status >= 200 && response.status != 204 &&
                          response.status != 304;
    if (has_body && response.has_header("Content-Length")) {
        const auto parsed = parse_decimal(response.header("Content-Length"));
        if (!parsed) {
            response.status = 0;
            response.error = "bad Content-Length in the response";
            return response;
        }
        length = *parsed;
    } else if (has_body) {
        // No length: the body runs until the server closes.
        while (receive_more(deadline)) {
        }
        length = received_.size() - body_start;
    }
    while (received_.size() < body_start + length) {
        if (!receive_more(deadline)) {
            response.status = 0;
            response.error = "the body was cut short";
            return response;
        }
    }
    response.body = received_.substr(body_start, length);
    consumed_ = body_start + length;
    return response;
}

bool Connection::closed_by_server(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (receive_more(deadline)) {
    }
    return eof_;
}

std::vector<std::pair<std::string, std::vector<std::size_t>>> deliveries(std::string_view request) {
    std::vector<std::pair<std::string, std::vector<std::size_t>>> ways;
    ways.push_back({"in one piece", {}});
    if (request.size() > 1 && request.size() <= 600) {
        std::vector<std::size_t> every_byte;
        for (std::size_t i = 1; i < request.size(); ++i) every_byte.push_back(i);
        ways.push_back({"one byte at a time", every_byte});
    }
    // The places a parser that assumes "one read() = one line" trips over:
    // between CR and LF, just after each line, just after the head.
    std::vector<std::size_t> awkward;
    for (std::size_t i = 1; i < request.size() && awkward.size() < 64; ++i) {
        if (request[i - 1] == '\r' || request[i - 1] == '\n' || request[i - 1] == ':') {
            awkward.push_back(i);
        }
    }
    if (request.size() > 2) awkward.push_back(request.size() - 1);  // all but the last byte
    if (!awkward.empty()) ways.push_back({"cut inside and between lines", awkward});
    return ways;
}

void read_responses(Connection& connection, Exchange& exchange, int count, bool head_request) {
    for (int i = 0; i < count; ++i) {
        exchange.responses.push_back(connection.read_response(head_request));
        if (exchange.responses.back().status == 0) break;
    }
    const Response& last = exchange.responses.back();
    const bool announced = iequals(last.header("Connection"), "close");
    exchange.closed = connection.closed_by_server(
        announced || last.status == 0 ? std::chrono::milliseconds(2000) : std::chrono::milliseconds(0));
    exchange.received = connection.received();
    connection.close();
}

std::ostream& operator<<(std::ostream& out, const Exchange& exchange) {
    out << "request sent " << exchange.how << " (" << exchange.request.size() << " bytes):\n  "
        << escape_bytes(exchange.request.substr(0, 2000))
        << (exchange.request.size() > 2000 ? "..." : "") << "\nresponse received ("
        << exchange.received.size() << " bytes):\n  "
        << escape_bytes(exchange.received.substr(0, 2000));
    for (const Response& response : exchange.responses) {
        if (!response.error.empty()) out << "\n  (" << response.error << ")";
    }
    // The same request as a command a learner can paste into a terminal.
    out << "\ntry it: printf '" << escape_bytes(exchange.request.substr(0, 300))
        << "' | nc 127.0.0.1 PORT";
    return out;
}
