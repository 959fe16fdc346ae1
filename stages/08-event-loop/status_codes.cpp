#include "status_codes.hpp"

#include <array>

namespace {

// ANCHOR: table
// The IANA HTTP Status Code Registry, as defined by RFC 9110 section 15
// and the RFCs named beside the others. 306 and 418 are registered only as
// "(Unused)" (RFC 9110 sections 15.4.7 and 15.5.19), so they are not here.
constexpr std::array kStatusCodes = {
    StatusCode{100, "Continue", "RFC 9110 15.2.1"},
    StatusCode{101, "Switching Protocols", "RFC 9110 15.2.2"},
    StatusCode{102, "Processing", "RFC 2518"},
    StatusCode{103, "Early Hints", "RFC 8297"},
    StatusCode{200, "OK", "RFC 9110 15.3.1"},
    StatusCode{201, "Created", "RFC 9110 15.3.2"},
    StatusCode{202, "Accepted", "RFC 9110 15.3.3"},
    StatusCode{203, "Non-Authoritative Information", "RFC 9110 15.3.4"},
    StatusCode{204, "No Content", "RFC 9110 15.3.5"},
    StatusCode{205, "Reset Content", "RFC 9110 15.3.6"},
    StatusCode{206, "Partial Content", "RFC 9110 15.3.7"},
    StatusCode{207, "Multi-Status", "RFC 4918"},
    StatusCode{208, "Already Reported", "RFC 5842"},
    StatusCode{226, "IM Used", "RFC 3229"},
    StatusCode{300, "Multiple Choices", "RFC 9110 15.4.1"},
    StatusCode{301, "Moved Permanently", "RFC 9110 15.4.2"},
    StatusCode{302, "Found", "RFC 9110 15.4.3"},
    StatusCode{303, "See Other", "RFC 9110 15.4.4"},
    StatusCode{304, "Not Modified", "RFC 9110 15.4.5"},
    StatusCode{305, "Use Proxy", "RFC 9110 15.4.6"},
    StatusCode{307, "Temporary Redirect", "RFC 9110 15.4.8"},
    StatusCode{308, "Permanent Redirect", "RFC 9110 15.4.9"},
    StatusCode{400, "Bad Request", "RFC 9110 15.5.1"},
    StatusCode{401, "Unauthorized", "RFC 9110 15.5.2"},
    StatusCode{402, "Payment Required", "RFC 9110 15.5.3"},
    StatusCode{403, "Forbidden", "RFC 9110 15.5.4"},
    StatusCode{404, "Not Found", "RFC 9110 15.5.5"},
    StatusCode{405, "Method Not Allowed", "RFC 9110 15.5.6"},
    StatusCode{406, "Not Acceptable", "RFC 9110 15.5.7"},
    StatusCode{407, "Proxy Authentication Required", "RFC 9110 15.5.8"},
    StatusCode{408, "Request Timeout", "RFC 9110 15.5.9"},
    StatusCode{409, "Conflict", "RFC 9110 15.5.10"},
    StatusCode{410, "Gone", "RFC 9110 15.5.11"},
    StatusCode{411, "Length Required", "RFC 9110 15.5.12"},
    StatusCode{412, "Precondition Failed", "RFC 9110 15.5.13"},
    StatusCode{413, "Content Too Large", "RFC 9110 15.5.14"},
    StatusCode{414, "URI Too Long", "RFC 9110 15.5.15"},
    StatusCode{415, "Unsupported Media Type", "RFC 9110 15.5.16"},
    StatusCode{416, "Range Not Satisfiable", "RFC 9110 15.5.17"},
    StatusCode{417, "Expectation Failed", "RFC 9110 15.5.18"},
    StatusCode{421, "Misdirected Request", "RFC 9110 15.5.20"},
    StatusCode{422, "Unprocessable Content", "RFC 9110 15.5.21"},
    StatusCode{423, "Locked", "RFC 4918"},
    StatusCode{424, "Failed Dependency", "RFC 4918"},
    StatusCode{425, "Too Early", "RFC 8470"},
    StatusCode{426, "Upgrade Required", "RFC 9110 15.5.22"},
    StatusCode{428, "Precondition Required", "RFC 6585"},
    StatusCode{429, "Too Many Requests", "RFC 6585"},
    StatusCode{431, "Request Header Fields Too Large", "RFC 6585"},
    StatusCode{451, "Unavailable For Legal Reasons", "RFC 7725"},
    StatusCode{500, "Internal Server Error", "RFC 9110 15.6.1"},
    StatusCode{501, "Not Implemented", "RFC 9110 15.6.2"},
    StatusCode{502, "Bad Gateway", "RFC 9110 15.6.3"},
    StatusCode{503, "Service Unavailable", "RFC 9110 15.6.4"},
    StatusCode{504, "Gateway Timeout", "RFC 9110 15.6.5"},
    StatusCode{505, "HTTP Version Not Supported", "RFC 9110 15.6.6"},
    StatusCode{506, "Variant Also Negotiates", "RFC 2295"},
    StatusCode{507, "Insufficient Storage", "RFC 4918"},
    StatusCode{508, "Loop Detected", "RFC 5842"},
    StatusCode{510, "Not Extended", "RFC 2774"},
    StatusCode{511, "Network Authentication Required", "RFC 6585"},
};
// ANCHOR_END: table

}  // namespace

std::span<const StatusCode> all_status_codes() { return kStatusCodes; }

std::string_view reason_phrase(int status) {
    for (const StatusCode& entry : kStatusCodes) {
        if (entry.code == status) return entry.reason;
    }
    return "";
}
