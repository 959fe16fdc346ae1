// Every HTTP status code, with its reason phrase, in one table.
//
// The status code is the part of a response that programs act on: a
// browser follows a 3xx, retries after a 503, asks for a password after a
// 401. The first digit is the class (RFC 9110 section 15):
//
//   1xx informational: "I got it, wait for the real answer"
//   2xx successful:    "done"
//   3xx redirection:   "look elsewhere"
//   4xx client error:  "your request is wrong; do not repeat it as is"
//   5xx server error:  "we failed; the request may have been fine"
#pragma once

#include <span>
#include <string_view>

struct StatusCode {
    int code;
    std::string_view reason;  // the reason phrase for the status line
    std::string_view source;  // where it is defined
};

// The whole table, in numeric order.
std::span<const StatusCode> all_status_codes();

// "Not Found" for 404; "" for a code that is not in the table.
std::string_view reason_phrase(int status);
