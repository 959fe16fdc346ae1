#include "connection.hpp"

#include <string_view>

#include "socket_io.hpp"
#include "wait.hpp"

// ANCHOR: serve_connection
std::size_t serve_connection(int client, const StopSignal& stop) {
    char buffer[kReadBufferSize];
    std::size_t echoed = 0;
    while (wait_readable(client, stop) == Waited::Ready) {
        const std::size_t n = read_some(client, buffer, sizeof buffer);
        if (n == 0) break;  // the client closed (or reset) the connection
        if (!write_all(client, std::string_view(buffer, n))) break;
        echoed += n;
    }
    return echoed;
}
// ANCHOR_END: serve_connection
