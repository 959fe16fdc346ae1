// Serving one client connection: read requests, answer them, repeat.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "http_request.hpp"
#include "http_response.hpp"
#include "stop_signal.hpp"

// What the application does with a request. The connection code knows
// nothing about what the server is for; it only speaks HTTP. The request is
// not const: the router writes the path parameters it finds into it.
using Handler = std::function<HttpResponse(HttpRequest&)>;

struct ConnectionOptions {
    // How long a request may take to arrive once its first byte is here;
    // then 408 Request Timeout. Also how long an idle connection is kept.
    std::chrono::milliseconds request_timeout = std::chrono::seconds(10);
};

// Answers requests on `client` until the client or the protocol ends the
// connection (or a stop is requested). `peer` is for the log.
void serve_connection(int client, const std::string& peer, const Handler& handler,
                      const StopSignal& stop, const ConnectionOptions& options);
