// A handler that answers with what the parser understood: the easiest way
// to see the parser at work with curl.
#pragma once

#include "http_request.hpp"
#include "http_response.hpp"

HttpResponse describe_request(const HttpRequest& request);
