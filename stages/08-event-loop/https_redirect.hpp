// --redirect-port: plain HTTP that sends every visitor to HTTPS.
#pragma once

#include <cstdint>
#include <string>

#include "http_request.hpp"
#include "http_response.hpp"

// 308 Permanent Redirect to the same path and query over HTTPS, on `host`
// (the server's --host) and port `https_port`. 308 rather than 301: a POST
// stays a POST, with its body (RFC 9110 section 15.4.9).
HttpResponse redirect_to_https(const HttpRequest& request, const std::string& host,
                               std::uint16_t https_port);
