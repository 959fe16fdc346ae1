// The request parser (stage 2), as a corpus of raw bytes and what they mean.
//
// Each case is exactly what a client could send, and what the parser must
// make of it: a request with these fields, or a refusal. The tables read as
// the specification of RFC 9112 that this course implements; the sections
// are named beside the cases. Every case is also fed one byte at a time,
// because TCP may deliver it that way, and the answer must not change.
//
// Only the parser's public API is used (feed, complete, failed, error,
// take_request, started, request), so these tests hold for every later stage too.
// Refusals are checked loosely: failed(), and a word the reason mentions,
// not an exact message or status code (stage 4 maps them to 4xx/5xx codes).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "request_parser.hpp"
#include "strings.hpp"

using namespace std::string_literals;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields fields_of(const Headers& headers) { return Fields(headers.begin(), headers.end()); }

// What a fresh parser makes of some bytes.
struct Result {
    bool complete = false;
    bool failed = false;
    std::string error;
    std::size_t used = 0;  // how many bytes feed() consumed in all
    HttpRequest request;   // when complete
};

Result result_of(RequestParser& parser, std::size_t used) {
    Result result;
    result.complete = parser.complete();
    result.failed = parser.failed();
    result.error = parser.error();
    result.used = used;
    if (result.complete) result.request = parser.take_request();
    return result;
}

// All the bytes in one feed(), as when a whole request arrives in one read().
Result parse(std::string_view bytes, ParserLimits limits = {}) {
    RequestParser parser(limits);
    const std::size_t used = parser.feed(bytes);
    return result_of(parser, used);
}

// One byte per feed(): the worst a network can do.
Result parse_byte_by_byte(std::string_view bytes, ParserLimits limits = {}) {
    RequestParser parser(limits);
    std::size_t used = 0;
    for (std::size_t i = 0; i < bytes.size() && !parser.complete() && !parser.failed(); ++i) {
        used += parser.feed(bytes.substr(i, 1));
    }
    return result_of(parser, used);
}

bool mentions(std::string_view text, std::string_view word) {
    return ascii_lower(text).find(ascii_lower(word)) != std::string::npos;
}

// Strings of an exact size, for the limits.
std::string request_line_of(std::size_t length) {  // without its CRLF
    const std::string shortest = "GET / HTTP/1.1";
    return "GET /" + std::string(length - shortest.size(), 'a') + " HTTP/1.1";
}
std::string field_line_of(std::size_t length) {  // with its CRLF
    const std::string shortest = "X-Fill: \r\n";
    return "X-Fill: " + std::string(length - shortest.size(), 'f') + "\r\n";
}

// ---------------------------------------------------------------------------
// Well-formed requests: the bytes, and the request they are.

struct Accepted {
    std::string rule;
    std::string bytes;  // one whole request, nothing after it
    std::string method = "GET";
    std::string target = "/";
    std::string path = "/";
    std::string query = "";
    std::string version = "HTTP/1.1";
    std::string body = "";
};

const std::vector<Accepted>& accepted_cases() {
    static const std::vector<Accepted> cases = {
        // The request line (RFC 9112 section 3).
        {.rule = "the smallest HTTP/1.1 request",
         .bytes = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"},
        {.rule = "origin-form: the path and the query split at the first '?'",
         .bytes = "GET /search?q=c%2B%2B&lang=en HTTP/1.1\r\nHost: x\r\n\r\n",
         .target = "/search?q=c%2B%2B&lang=en", .path = "/search", .query = "q=c%2B%2B&lang=en"},
        {.rule = "a later '?' belongs to the query",
         .bytes = "GET /a?b?c HTTP/1.1\r\nHost: x\r\n\r\n",
         .target = "/a?b?c", .path = "/a", .query = "b?c"},
        {.rule = "an empty query",
         .bytes = "GET /a? HTTP/1.1\r\nHost: x\r\n\r\n", .target = "/a?", .path = "/a"},
        {.rule = "percent-escapes are kept as sent (decoding is the application's job)",
         .bytes = "GET /a%20b/%C3%A9?x=%41 HTTP/1.1\r\nHost: x\r\n\r\n",
         .target = "/a%20b/%C3%A9?x=%41", .path = "/a%20b/%C3%A9", .query = "x=%41"},
        {.rule = "every visible ASCII character but '#' may appear in a target",
         .bytes = "GET /a-b_c.d~e!$&'()*+,;=:@[]|{}\"<>^`\\ HTTP/1.1\r\nHost: x\r\n\r\n",
         .target = "/a-b_c.d~e!$&'()*+,;=:@[]|{}\"<>^`\\", .path = "/a-b_c.d~e!$&'()*+,;=:@[]|{}\"<>^`\\"},
        {.rule = "absolute-form (sent to proxies): the path comes after the authority",
         .bytes = "GET http://example.com/a/b?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
         .target = "http://example.com/a/b?x=1", .path = "/a/b", .query = "x=1"},
        {.rule = "absolute-form with https and a port",
         .bytes = "GET https://example.com:8443/a HTTP/1.1\r\nHost: example.com:8443\r\n\r\n",
         .target = "https://example.com:8443/a", .path = "/a"},
        {.rule = "absolute-form without a path means '/'",
         .bytes = "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
         .target = "http://example.com"},
        {.rule = "absolute-form with a query but no path",
         .bytes = "GET http://example.com?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
         .target = "http://example.com?x=1", .query = "x=1"},
        {.rule = "asterisk-form, for OPTIONS only: the server as a whole",
         .bytes = "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
         .method = "OPTIONS", .target = "*", .path = "*"},

        // Methods are tokens (RFC 9110 section 9.1); unknown ones parse too.
        {.rule = "a method the parser has never heard of",
         .bytes = "PURGE /cache HTTP/1.1\r\nHost: x\r\n\r\n",
         .method = "PURGE", .target = "/cache", .path = "/cache"},
        {.rule = "a method with token symbols",
         .bytes = "M-SEARCH /upnp HTTP/1.1\r\nHost: x\r\n\r\n",
         .method = "M-SEARCH", .target = "/upnp", .path = "/upnp"},
        {.rule = "DELETE",
         .bytes = "DELETE /item/7 HTTP/1.1\r\nHost: x\r\n\r\n",
         .method = "DELETE", .target = "/item/7", .path = "/item/7"},

        // Versions (RFC 9112 section 2.3) and Host (RFC 9112 section 3.2).
        {.rule = "HTTP/1.0 needs no Host",
         .bytes = "GET /old HTTP/1.0\r\n\r\n",
         .target = "/old", .path = "/old", .version = "HTTP/1.0"},
        {.rule = "HTTP/1.0 may send a Host",
         .bytes = "GET / HTTP/1.0\r\nHost: x\r\n\r\n", .version = "HTTP/1.0"},
        {.rule = "Host with a port",
         .bytes = "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"},
        {.rule = "Host as an IPv6 literal",
         .bytes = "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"},
        {.rule = "an empty Host (a target without an authority)",
         .bytes = "GET / HTTP/1.1\r\nHost:\r\n\r\n"},
        {.rule = "a field name in any case: 'host' is Host",
         .bytes = "GET / HTTP/1.1\r\nhost: x\r\n\r\n"},

        // Header fields (RFC 9112 section 5, RFC 9110 section 5.5).
        {.rule = "optional whitespace around a value",
         .bytes = "GET / HTTP/1.1\r\nHost: \t x \t\r\nX-Empty:\r\nX-Spaces:   \r\n\r\n"},
        {.rule = "obs-text: bytes >= 0x80 are allowed in a value",
         .bytes = "GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\xc3\xa9 \xff\r\n\r\n"},
        {.rule = "a colon inside a value",
         .bytes = "GET / HTTP/1.1\r\nHost: x\r\nX-Time: 12:30:00\r\n\r\n"},
        {.rule = "the same field twice",
         .bytes = "GET / HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\nAccept: text/html\r\n\r\n"},

        // Content-Length (RFC 9112 section 6.2, RFC 9110 section 8.6).
        {.rule = "a Content-Length body",
         .bytes = "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
         .method = "POST", .target = "/form", .path = "/form", .body = "hello"},
        {.rule = "a body is bytes, not lines: CR, LF and NUL are just data",
         .bytes = "PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\na\r\nb\0\nc"s,
         .method = "PUT", .target = "/f", .path = "/f", .body = "a\r\nb\0\nc"s},
        {.rule = "Content-Length: 0 is a complete request without a body",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", .method = "POST"},
        {.rule = "Content-Length in lower case",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 2\r\n\r\nok",
         .method = "POST", .body = "ok"},
        {.rule = "Content-Length with leading zeros",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 007\r\n\r\nseven!!",
         .method = "POST", .body = "seven!!"},
        {.rule = "the same Content-Length twice",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
         .method = "POST", .body = "hello"},
        {.rule = "a list of one Content-Length repeated",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello",
         .method = "POST", .body = "hello"},
        {.rule = "a body on HTTP/1.0",
         .bytes = "POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
         .method = "POST", .version = "HTTP/1.0", .body = "abc"},

        // Chunked transfer coding (RFC 9112 section 7.1).
        {.rule = "one chunk, then the last chunk",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n0\r\n\r\n",
         .method = "POST", .body = "hello"},
        {.rule = "chunks are joined",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\n\r\n",
         .method = "POST", .body = "hello, world"},
        {.rule = "no chunks at all: an empty body",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         .method = "POST"},
        {.rule = "chunk sizes are hex, in either case",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "a\r\n0123456789\r\nA\r\nabcdefghij\r\n1F\r\n" + std::string(31, '!') +
                  "\r\n1f\r\n" + std::string(31, '?') + "\r\n0\r\n\r\n",
         .method = "POST",
         .body = "0123456789abcdefghij" + std::string(31, '!') + std::string(31, '?')},
        {.rule = "chunk sizes with leading zeros",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "0005\r\nhello\r\n000\r\n\r\n",
         .method = "POST", .body = "hello"},
        {.rule = "chunk extensions are ignored",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5;name=value\r\nhello\r\n3;a;b=\"q s\"\r\nabc\r\n0;last\r\n\r\n",
         .method = "POST", .body = "helloabc"},
        {.rule = "whitespace before a chunk extension (BWS)",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5 ;a=1\r\nhello\r\n0\r\n\r\n",
         .method = "POST", .body = "hello"},
        {.rule = "a chunk extension name alone, after whitespace",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5 ;name\r\nhello\r\n0\r\n\r\n",
         .method = "POST", .body = "hello"},
        {.rule = "chunk extension values as quoted-strings, with ';', '=', space and \\\"",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5;name=\"quoted value\"\r\nhello\r\n"
                  "3;a=\"b;c=d\";e=\"\\\"\"\r\nabc\r\n0;f=\"\"\r\n\r\n",
         .method = "POST", .body = "helloabc"},
        {.rule = "whitespace around ';' and '=' in chunk extensions (BWS)",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\t; a = 1 ;\tb\t=\t\"2\"\r\nhello\r\n0\r\n\r\n",
         .method = "POST", .body = "hello"},
        {.rule = "trailer fields after the last chunk",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n0\r\nX-Checksum: 1234\r\nX-Other: y\r\n\r\n",
         .method = "POST", .body = "hello"},
        {.rule = "'Chunked' in any case, with optional whitespace",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  ChUnKeD \r\n\r\n"
                  "2\r\nok\r\n0\r\n\r\n",
         .method = "POST", .body = "ok"},
        {.rule = "chunk data may hold CRLF",
         .bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "4\r\n\r\n\r\n\r\n0\r\n\r\n",
         .method = "POST", .body = "\r\n\r\n"},

        // Line endings (RFC 9112 section 2.2).
        {.rule = "empty lines (CRLF) before the request line are skipped",
         .bytes = "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"},
    };
    return cases;
}

// ---------------------------------------------------------------------------
// Malformed requests: the bytes, and a word the reason must mention.

struct Refused {
    std::string rule;
    std::string bytes;
    std::string says = "";  // a word in error(), any case; "" for no check
};

// Each needs only its own bytes to be refused: what follows cannot save it.
const std::vector<Refused>& refused_cases() {
    static const std::vector<Refused> cases = {
        // The request line: method SP request-target SP HTTP-version (RFC 9112 section 3).
        {"two spaces between method and target", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"a space before the method", " GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"a space after the version", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n"},
        {"tabs instead of spaces", "GET\t/\tHTTP/1.1\r\nHost: x\r\n\r\n"},
        {"no version (HTTP/0.9 style)", "GET /\r\n\r\n"},
        {"a method alone", "GET\r\n\r\n"},
        {"no method", "/ HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"a space inside the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"a request line of spaces", "   \r\nHost: x\r\n\r\n"},
        {"a method with a non-token character", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"a method with a byte >= 0x80", "G\xc3\x89T / HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"a method with NUL", "GE\0T / HTTP/1.1\r\nHost: x\r\n\r\n"s},

        // The target (RFC 9112 section 3.2): visible ASCII, one of four forms.
        {"a control byte in the target", "GET /a\x01z HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"NUL in the target", "GET /a\0z HTTP/1.1\r\nHost: x\r\n\r\n"s},
        {"DEL in the target", "GET /a\x7fz HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"a raw byte >= 0x80 in the target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"a fragment in the target (clients never send '#')", "GET /page#top HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"a relative target", "GET page.html HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"authority-form (CONNECT is not supported)", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n"},
        {"asterisk-form with a method other than OPTIONS", "GET * HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"absolute-form with a scheme other than http(s)", "GET ftp://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n"},

        // The version (RFC 9112 section 2.3): "HTTP/" DIGIT "." DIGIT, and only 1.0 or 1.1.
        {"a version in lower case", "GET / http/1.1\r\nHost: x\r\n\r\n", "HTTP"},
        {"a version without a minor number", "GET / HTTP/1\r\nHost: x\r\n\r\n", "HTTP"},
        {"a version with two dots", "GET / HTTP/1.1.1\r\nHost: x\r\n\r\n", "HTTP"},
        {"a version with two-digit numbers", "GET / HTTP/11.1\r\nHost: x\r\n\r\n", "HTTP"},
        {"a version with letters", "GET / HTTP/a.b\r\nHost: x\r\n\r\n", "HTTP"},
        {"a version that is not HTTP", "GET / HTTPS/1.1\r\nHost: x\r\n\r\n", "HTTP"},
        {"HTTP/2.0 over this text syntax", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP"},
        {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", "HTTP"},
        {"HTTP/0.9", "GET / HTTP/0.9\r\nHost: x\r\n\r\n", "HTTP"},
        {"HTTP/3.0", "GET / HTTP/3.0\r\nHost: x\r\n\r\n", "HTTP"},

        // Field lines: name ":" OWS value OWS (RFC 9112 section 5).
        {"a field line without a colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n"},
        {"a space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"},
        {"a tab before the colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n"},
        {"an empty field name", "GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n"},
        {"a space inside a field name", "GET / HTTP/1.1\r\nHost: x\r\nX Y: 1\r\n\r\n"},
        {"a non-token character in a field name", "GET / HTTP/1.1\r\nHost: x\r\nX(Y): 1\r\n\r\n"},
        {"a byte >= 0x80 in a field name", "GET / HTTP/1.1\r\nHost: x\r\nCaf\xc3\xa9: 1\r\n\r\n"},
        {"obs-fold: a line continued by a space", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", "fold"},
        {"obs-fold: a line continued by a tab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\n\r\n", "fold"},
        {"whitespace before the first field line", "GET / HTTP/1.1\r\n Host: x\r\n\r\n"},
        {"NUL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"s},
        {"a control byte in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01z\r\n\r\n"},
        {"ESC in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: \x1b[31mred\r\n\r\n"},
        {"DEL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fz\r\n\r\n"},

        // Bare LF (RFC 9112 section 2.2 allows it as a MAY; we refuse it, as
        // llhttp does): a proxy that reads the line differently sees other
        // requests than we do.
        {"a bare LF ending the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n", "LF"},
        {"a bare LF ending a field line", "GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n", "LF"},
        {"a bare LF as the empty line", "GET / HTTP/1.1\r\nHost: x\r\n\n", "LF"},
        {"bare LFs only", "GET / HTTP/1.1\nHost: x\n\n", "LF"},
        {"a bare LF before the request line", "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "LF"},
        {"a bare LF after an empty line before the request line", "\r\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "LF"},
        {"a bare LF in the head of a chunked request",
         "POST / HTTP/1.1\r\nHost: x\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "LF"},
        {"a Content-Length hidden behind a bare LF (request smuggling)",
         "GET / HTTP/1.1\r\nHost: localhost\r\nDummy: x\nContent-Length: 23\r\n\r\n"
         "GET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n", "LF"},

        // Bare CR (RFC 9112 section 2.2): a CR not followed by LF.
        {"a bare CR ending the request line", "GET / HTTP/1.1\rHost: x\r\n\r\n", "CR"},
        {"a bare CR inside a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", "CR"},
        {"CR CR LF", "GET / HTTP/1.1\r\r\nHost: x\r\n\r\n", "CR"},
        {"a bare CR as the empty line", "GET / HTTP/1.1\r\nHost: x\r\r\n", "CR"},
        {"a bare CR before the request line", "\rGET / HTTP/1.1\r\nHost: x\r\n\r\n", "CR"},

        // Host (RFC 9112 section 3.2): exactly one in HTTP/1.1, at most one in 1.0.
        {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", "Host"},
        {"HTTP/1.1 absolute-form still needs Host", "GET http://example.com/ HTTP/1.1\r\n\r\n", "Host"},
        {"two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "Host"},
        {"two identical Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", "Host"},
        {"two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", "Host"},
        {"a Host with a space", "GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n", "Host"},
        {"a Host with a slash", "GET / HTTP/1.1\r\nHost: example.com/evil\r\n\r\n", "Host"},
        {"a Host with user info", "GET / HTTP/1.1\r\nHost: user@example.com\r\n\r\n", "Host"},

        // Content-Length (RFC 9112 section 6.3: an invalid one is unrecoverable).
        {"differing Content-Length fields",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "Content-Length"},
        {"a Content-Length list of differing values",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!", "Content-Length"},
        {"a Content-Length list with an empty element first",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: , 5\r\n\r\nhello", "Content-Length"},
        {"a Content-Length list with an empty element last",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5,\r\n\r\nhello", "Content-Length"},
        {"an empty Content-Length, then a number",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\nContent-Length: 5\r\n\r\nhello", "Content-Length"},
        {"an empty Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", "Content-Length"},
        {"a Content-Length in words", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: five\r\n\r\nhello", "Content-Length"},
        {"a Content-Length with a unit", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5b\r\n\r\nhello", "Content-Length"},
        {"a Content-Length in hex", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello", "Content-Length"},
        {"a Content-Length with a plus sign", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", "Content-Length"},
        {"a negative Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nhello", "Content-Length"},
        {"a Content-Length with a decimal point", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5.0\r\n\r\nhello", "Content-Length"},
        {"a Content-Length with a space inside", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 0\r\n\r\n0123456789", "Content-Length"},
        {"a Content-Length too big for 64 bits",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", "Content-Length"},
        {"a Content-Length of 2^64, which wraps to 0 if unchecked",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n", "Content-Length"},

        // Transfer-Encoding (RFC 9112 section 6.1): "chunked", once, last, 1.1 only.
        {"Transfer-Encoding and Content-Length together",
         "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
        {"Content-Length and Transfer-Encoding together",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
        {"Transfer-Encoding in HTTP/1.0",
         "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
        {"a coding other than chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "coding"},
        {"gzip, then chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "coding"},
        {"chunked, then gzip", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", "coding"},
        {"chunked twice in a list", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", "coding"},
        {"chunked twice in two fields",
         "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "coding"},
        {"identity (removed from HTTP/1.1)", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", "coding"},
        {"an empty Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\r\n", "coding"},

        // Chunked framing (RFC 9112 section 7.1). CRLF only: see handle_line.
#define CHUNKED "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        {"a chunk size that is not hex", CHUNKED "xyz\r\nhello\r\n0\r\n\r\n", "chunk"},
        {"an empty chunk size line", CHUNKED "\r\nhello\r\n0\r\n\r\n", "chunk"},
        {"a negative chunk size", CHUNKED "-5\r\nhello\r\n0\r\n\r\n", "chunk"},
        {"a chunk size with 0x", CHUNKED "0x5\r\nhello\r\n0\r\n\r\n", "chunk"},
        {"a space before the chunk size", CHUNKED " 5\r\nhello\r\n0\r\n\r\n", "chunk"},
        {"junk after the chunk size", CHUNKED "5 five\r\nhello\r\n0\r\n\r\n", "chunk"},
        {"a control byte in a chunk extension", CHUNKED "5;a=\x01\r\nhello\r\n0\r\n\r\n", "chunk"},
        {"a chunk size too big for 64 bits", CHUNKED "10000000000000000\r\nhello\r\n0\r\n\r\n"},
        {"a bare LF after the chunk size", CHUNKED "5\nhello\r\n0\r\n\r\n", "LF"},
        {"a bare LF after the chunk data", CHUNKED "5\r\nhello\n0\r\n\r\n", "LF"},
        {"a bare LF after the last chunk", CHUNKED "5\r\nhello\r\n0\n\r\n", "LF"},
        {"a bare LF ending the trailer section", CHUNKED "5\r\nhello\r\n0\r\n\n", "LF"},
        {"a bare LF after a trailer field", CHUNKED "5\r\nhello\r\n0\r\nX-A: 1\n\r\n", "LF"},
        // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ) (section 7.1.1).
        {"an empty chunk extension name", CHUNKED "2;\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"whitespace after the chunk size, no extension", CHUNKED "a \r\n0123456789\r\n0\r\n\r\n", "chunk"},
        {"a chunk extension value without a name", CHUNKED "2;=x\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"whitespace after a chunk extension name", CHUNKED "2;a \r\nhi\r\n0\r\n\r\n", "chunk"},
        {"whitespace after a chunk extension value", CHUNKED "2;a=b\t\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"an empty chunk extension value", CHUNKED "2;a=\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"an empty chunk extension after a good one", CHUNKED "2;a=b;\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"a chunk extension name that is quoted", CHUNKED "2;\"a\"=b\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"a space inside a chunk extension value", CHUNKED "2;a=b c\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"a quoted chunk extension value that never ends", CHUNKED "2;a=\"b\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"a quoted-pair that ends the line", CHUNKED "2;a=\"b\\\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"a control byte in a quoted chunk extension value", CHUNKED "2;a=\"\x01\"\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"a chunk extension without its ';'", CHUNKED "2 a=b\r\nhi\r\n0\r\n\r\n", "chunk"},
        {"no CRLF after the chunk data", CHUNKED "5\r\nhello0\r\n\r\n", "chunk"},
        {"chunk data longer than its size", CHUNKED "3\r\nhello\r\n0\r\n\r\n", "chunk"},
        {"chunk data shorter than its size", CHUNKED "5\r\nhel\r\n0\r\n\r\n", "chunk"},
        {"a bare CR after the chunk data", CHUNKED "5\r\nhello\r0\r\n\r\n"},
        {"a trailer field without a colon", CHUNKED "5\r\nhello\r\n0\r\nnot a field\r\n\r\n"},
        {"obs-fold in the trailers", CHUNKED "5\r\nhello\r\n0\r\nX-A: 1\r\n 2\r\n\r\n"},
        {"a chunk size line over 1 KiB", CHUNKED "5;" + std::string(1100, 'e') + "\r\nhello\r\n0\r\n\r\n", "chunk"},
#undef CHUNKED
    };
    return cases;
}

}  // namespace

// ---------------------------------------------------------------------------

TEST_CASE("well-formed requests parse into their parts, whole and byte by byte") {
    for (const Accepted& c : accepted_cases()) {
        INFO(c.rule << "\n  bytes: " << escape_bytes(c.bytes));
        for (const bool bytewise : {false, true}) {
            INFO(std::string(bytewise ? "fed one byte at a time" : "fed in one piece"));
            const Result r = bytewise ? parse_byte_by_byte(c.bytes) : parse(c.bytes);
            CHECK_MESSAGE(r.error == "", r.error);
            REQUIRE(r.complete);
            CHECK(r.used == c.bytes.size());
            CHECK(r.request.method == c.method);
            CHECK(r.request.target == c.target);
            CHECK(r.request.path == c.path);
            CHECK(r.request.query == c.query);
            CHECK(r.request.version == c.version);
            CHECK(r.request.body == c.body);
        }
    }
}

TEST_CASE("a request fed one byte at a time parses exactly as one fed whole") {
    for (const Accepted& c : accepted_cases()) {
        INFO(c.rule << "\n  bytes: " << escape_bytes(c.bytes));
        const Result whole = parse(c.bytes);
        const Result bytewise = parse_byte_by_byte(c.bytes);
        CHECK(whole.complete == bytewise.complete);
        CHECK(whole.used == bytewise.used);
        CHECK(whole.request.method == bytewise.request.method);
        CHECK(whole.request.target == bytewise.request.target);
        CHECK(whole.request.path == bytewise.request.path);
        CHECK(whole.request.query == bytewise.request.query);
        CHECK(whole.request.version == bytewise.request.version);
        CHECK(fields_of(whole.request.headers) == fields_of(bytewise.request.headers));
        CHECK(whole.request.body == bytewise.request.body);
    }
}

TEST_CASE("malformed requests are refused with a reason, whole and byte by byte") {
    for (const Refused& c : refused_cases()) {
        INFO(c.rule << "\n  bytes: " << escape_bytes(c.bytes));
        for (const bool bytewise : {false, true}) {
            INFO(std::string(bytewise ? "fed one byte at a time" : "fed in one piece"));
            const Result r = bytewise ? parse_byte_by_byte(c.bytes) : parse(c.bytes);
            CHECK(r.failed);
            CHECK_FALSE(r.complete);
            CHECK_FALSE(r.error.empty());
            CHECK_MESSAGE(mentions(r.error, c.says), "the reason '" << r.error << "' should mention '"
                                                                    << c.says << "'");
        }
    }
}

// The fuzzer's seeds (tests/fuzz/corpus/) are named for what they are:
// valid-* hold only well-formed requests, bad-* are refused or never end.
// Parsing them here keeps the names true when a rule changes.
TEST_CASE("the fuzzing seeds are what their names say") {
    std::size_t seeds = 0;
    for (const auto& entry : std::filesystem::directory_iterator("tests/fuzz/corpus")) {
        const std::string name = entry.path().filename().string();
        const bool valid = name.starts_with("valid-");
        if (!valid && !name.starts_with("bad-")) continue;
        std::ifstream file(entry.path(), std::ios::binary);
        std::stringstream bytes;
        bytes << file.rdbuf();
        std::string_view rest = bytes.view();
        RequestParser parser;
        while (true) {
            rest.remove_prefix(parser.feed(rest));
            if (!parser.complete()) break;
            parser.take_request();
        }
        INFO("seed tests/fuzz/corpus/" << name << ": " << (parser.failed() ? parser.error() : "no error"));
        if (valid) CHECK((!parser.failed() && !parser.started() && rest.empty()));
        else CHECK((parser.failed() || parser.started()));
        ++seeds;
    }
    CHECK_MESSAGE(seeds > 50, "no seeds in tests/fuzz/corpus/ (run the tests from the repository root)");
}

// ---------------------------------------------------------------------------
// Header fields.

TEST_CASE("header fields keep their order and spelling, and are looked up in any case") {
    const Result r = parse(
        "GET / HTTP/1.1\r\nHost: example.com\r\nX-Custom-Thing: One\r\nACCEPT: a\r\naccept: b\r\n\r\n");
    REQUIRE(r.complete);
    const Headers& h = r.request.headers;
    CHECK(fields_of(h) == Fields{{"Host", "example.com"},
                                 {"X-Custom-Thing", "One"},
                                 {"ACCEPT", "a"},
                                 {"accept", "b"}});
    CHECK(h.get("host") == "example.com");
    CHECK(h.get("HOST") == "example.com");
    CHECK(h.get("x-custom-thing") == "One");
    CHECK(h.has("X-CUSTOM-THING"));
    CHECK(h.count("Accept") == 2);
    CHECK(h.get("Accept") == "a");  // the first one
    CHECK(h.all("Accept") == std::vector<std::string_view>{"a", "b"});
    CHECK_FALSE(h.has("Missing"));
    CHECK(h.get("Missing") == "");
}

TEST_CASE("optional whitespace around a value is trimmed, inside it is kept") {
    const Result r = parse(
        "GET / HTTP/1.1\r\nHost:example.com\r\nX-A:   spaced  out \t \r\nX-B:\t\ttabbed\t\r\n"
        "X-Empty:\r\nX-Blank: \t \r\n\r\n");
    REQUIRE(r.complete);
    CHECK(r.request.headers.get("Host") == "example.com");
    CHECK(r.request.headers.get("X-A") == "spaced  out");
    CHECK(r.request.headers.get("X-B") == "tabbed");
    CHECK(r.request.headers.has("X-Empty"));
    CHECK(r.request.headers.get("X-Empty") == "");
    CHECK(r.request.headers.get("X-Blank") == "");
}

TEST_CASE("obs-text bytes (>= 0x80) in a value are kept exactly") {
    const Result r = parse("GET / HTTP/1.1\r\nHost: x\r\nX-Name: Andr\xc3\xa9 \x80\xff\r\n\r\n");
    REQUIRE(r.complete);
    CHECK(r.request.headers.get("X-Name") == "Andr\xc3\xa9 \x80\xff");
}

// The smuggling attack a bare LF allows. A front end that takes only CRLF
// as a line end (or turns the lone LF into a space, as RFC 9110 section 5.5
// allows) sees one field "Dummy: x Content-Length: 23", no body, and then a
// second request whose "Dummy" field it does not care about. A server that
// took the LF as a line end would instead read a 23-byte body, and then a
// request for /admin that the front end never saw. We see neither.
TEST_CASE("a Content-Length hidden behind a bare LF is refused, not obeyed") {
    const std::string first = "GET / HTTP/1.1\r\nHost: localhost\r\nDummy: x\nContent-Length: 23\r\n\r\n";
    const std::string second = "GET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n";
    RequestParser parser;
    parser.feed(first + second);
    REQUIRE(parser.failed());
    CHECK_FALSE(parser.complete());
    CHECK(mentions(parser.error(), "bare LF"));
    CHECK(mentions(parser.error(), "CRLF"));  // and says what to send instead
}

TEST_CASE("after a failure, request() still has what was parsed before it") {
    // The connection answers HEAD without a body even when the request
    // failed after its request line (RFC 9110 section 9.3.2).
    RequestParser parser;
    parser.feed("HEAD /page?x=1 HTTP/1.1\r\n\r\n");
    REQUIRE(parser.failed());
    CHECK(mentions(parser.error(), "Host"));
    CHECK(parser.request().method == "HEAD");
    CHECK(parser.request().target == "/page?x=1");
    CHECK(parser.request().version == "HTTP/1.1");

    // The method counts from the moment it is read, even if the rest of the
    // request line fails.
    RequestParser bad_target;
    bad_target.feed("HEAD /a#b HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(bad_target.failed());
    CHECK(bad_target.request().method == "HEAD");

    // A request line that cannot be split has no method to go on.
    RequestParser bad_line;
    bad_line.feed("HEAD /a b HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(bad_line.failed());
    CHECK(bad_line.request().method == "");
}

TEST_CASE("trailer fields are checked but not merged into the headers") {
    const Result r = parse(
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n0\r\nX-Checksum: 1234\r\nContent-Length: 99\r\n\r\n");
    REQUIRE(r.complete);
    CHECK(r.request.body == "hello");
    CHECK(r.request.headers.size() == 2);
    CHECK_FALSE(r.request.headers.has("X-Checksum"));
    CHECK_FALSE(r.request.headers.has("Content-Length"));
}

// ---------------------------------------------------------------------------
// Limits (request_parser.hpp): the largest allowed, and one more.

TEST_CASE("a request line of 8 KiB is accepted, one byte more is refused") {
    const Result ok = parse(request_line_of(8 * 1024) + "\r\nHost: x\r\n\r\n");
    CHECK(ok.complete);
    CHECK(ok.request.target.size() == 8 * 1024 - std::string("GET  HTTP/1.1").size());
    const Result refused = parse(request_line_of(8 * 1024 + 1) + "\r\nHost: x\r\n\r\n");
    CHECK(refused.failed);
    CHECK(mentions(refused.error, "too"));
}

TEST_CASE("an endless request line is refused before it ends") {
    // A client that never sends LF must not make the parser buffer forever.
    RequestParser parser;
    const std::string chunk = "GET /" + std::string(1000, 'a');
    std::size_t fed = 0;
    for (int i = 0; i < 100 && !parser.failed(); ++i) fed += parser.feed(i == 0 ? chunk : chunk.substr(5));
    CHECK(parser.failed());
    CHECK(fed <= 8 * 1024 + 2);
}

TEST_CASE("a header section of 8 KiB is accepted, one byte more is refused") {
    // The header section is the field lines with their CRLFs; the empty
    // line that ends it is not part of it (RFC 9112 section 2.1).
    const std::string host = "Host: x\r\n";
    const std::string fits = host + field_line_of(8 * 1024 - host.size());
    const std::string too_big = host + field_line_of(8 * 1024 - host.size() + 1);
    REQUIRE(fits.size() == 8 * 1024);
    CHECK(parse("GET / HTTP/1.1\r\n" + fits + "\r\n").complete);
    CHECK(parse_byte_by_byte("GET / HTTP/1.1\r\n" + fits + "\r\n").complete);
    const Result refused = parse("GET / HTTP/1.1\r\n" + too_big + "\r\n");
    CHECK(refused.failed);
    CHECK(mentions(refused.error, "too"));
}

TEST_CASE("the 8 KiB counts every field line, not just the longest") {
    std::string many;
    while (many.size() < 8 * 1024) many += "X-Many: " + std::string(90, 'm') + "\r\n";  // 100 bytes each
    const Result refused = parse("GET / HTTP/1.1\r\nHost: x\r\n" + many + "\r\n");
    CHECK(refused.failed);
    CHECK(mentions(refused.error, "too"));
}

TEST_CASE("100 header fields are accepted, 101 are refused") {
    std::string fields = "Host: x\r\n";
    for (int i = 1; i < 100; ++i) fields += "X-" + std::to_string(i) + ": " + std::to_string(i) + "\r\n";
    const Result ok = parse("GET / HTTP/1.1\r\n" + fields + "\r\n");
    REQUIRE(ok.complete);
    CHECK(ok.request.headers.size() == 100);
    const Result refused = parse("GET / HTTP/1.1\r\n" + fields + "X-100: 100\r\n\r\n");
    CHECK(refused.failed);
    CHECK(mentions(refused.error, "too"));
}

TEST_CASE("a Content-Length body of 1 MiB is accepted, 1 MiB + 1 is refused at once") {
    const std::string mib(1024 * 1024, 'b');
    const Result ok = parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + mib);
    REQUIRE(ok.complete);
    CHECK(ok.request.body.size() == mib.size());
    CHECK(parse_byte_by_byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + mib)
              .request.body.size() == mib.size());
    // Refused from the head alone: no need to wait for (or store) the body.
    const Result refused = parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n");
    CHECK(refused.failed);
    CHECK(mentions(refused.error, "too"));
}

TEST_CASE("a chunked body of 1 MiB is accepted, 1 MiB + 1 is refused") {
    const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string half(512 * 1024, 'c');
    // 0x80000 = 512 KiB: two of them are exactly 1 MiB.
    const Result ok = parse(head + "80000\r\n" + half + "\r\n80000\r\n" + half + "\r\n0\r\n\r\n");
    REQUIRE(ok.complete);
    CHECK(ok.request.body.size() == 1024 * 1024);
    // The limit is on the whole body, not on each chunk.
    const Result over = parse(head + "80000\r\n" + half + "\r\n80001\r\n" + half + "c\r\n0\r\n\r\n");
    CHECK(over.failed);
    CHECK(mentions(over.error, "too"));
    // One chunk announcing more than the limit is refused from its size line.
    const Result big = parse(head + "100001\r\n");
    CHECK(big.failed);
    CHECK(mentions(big.error, "too"));
}

TEST_CASE("smaller limits can be chosen") {
    ParserLimits limits;
    limits.max_request_line = 20;
    limits.max_header_count = 2;
    limits.max_body_bytes = 4;
    CHECK(parse("GET /012345 HTTP/1.1\r\nHost: x\r\n\r\n", limits).complete);   // 20 bytes
    CHECK(parse("GET /0123456 HTTP/1.1\r\nHost: x\r\n\r\n", limits).failed);    // 21 bytes
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n\r\n", limits).complete);
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", limits).failed);
    CHECK(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd", limits).complete);
    CHECK(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", limits).failed);
}

// ---------------------------------------------------------------------------
// The stream: where one request ends and the next begins.

TEST_CASE("feed() stops at the end of a request and says how many bytes it used") {
    const std::string first = "GET /one HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string second = "GET /two HTTP/1.1\r\nHost: x\r\n\r\n";
    RequestParser parser;
    const std::size_t used = parser.feed(first + second);
    CHECK(used == first.size());
    REQUIRE(parser.complete());
    // Until the request is taken, the parser takes nothing more.
    CHECK(parser.feed(second) == 0);
    CHECK(parser.take_request().path == "/one");

    CHECK(parser.feed(second) == second.size());
    REQUIRE(parser.complete());
    CHECK(parser.take_request().path == "/two");
}

TEST_CASE("pipelined requests with bodies split exactly after each body") {
    const std::vector<std::string> requests = {
        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /",
        "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nGET\r\n0\r\n\r\n",
        "GET /c HTTP/1.0\r\n\r\n",
        "POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        "\r\nGET /e HTTP/1.1\r\nHost: x\r\n\r\n",  // an empty line first is part of it
    };
    std::string stream;
    for (const std::string& request : requests) stream += request;

    RequestParser parser;
    std::string_view rest = stream;
    std::vector<std::string> paths;
    for (const std::string& request : requests) {
        const std::size_t used = parser.feed(rest);
        CHECK(used == request.size());
        REQUIRE(parser.complete());
        paths.push_back(parser.take_request().path);
        rest.remove_prefix(used);
    }
    CHECK(rest.empty());
    CHECK(paths == std::vector<std::string>{"/a", "/b", "/c", "/d", "/e"});
}

TEST_CASE("an extra CRLF after a body does not start a request (RFC 9112 section 2.2)") {
    const std::string stream =
        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi\r\n"
        "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    RequestParser parser;
    std::string_view rest = stream;
    rest.remove_prefix(parser.feed(rest));
    REQUIRE(parser.complete());
    CHECK(parser.take_request().body == "hi");
    rest.remove_prefix(parser.feed(rest));
    REQUIRE(parser.complete());
    CHECK(parser.take_request().path == "/b");
    CHECK(rest.empty());
}

TEST_CASE("a stream of pipelined requests parses the same however it is cut") {
    const std::string stream =
        "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        "PUT /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"
        "GET /4 HTTP/1.0\r\n\r\n";
    const std::vector<std::string> paths = {"/1", "/2", "/3", "/4"};
    for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
        INFO("pieces of " << piece << " bytes");
        RequestParser parser;
        std::string pending;  // what a connection keeps between reads
        std::vector<std::string> got;
        for (std::size_t at = 0; at < stream.size(); at += piece) {
            pending += stream.substr(at, piece);
            while (true) {
                pending.erase(0, parser.feed(pending));
                if (!parser.complete()) break;
                got.push_back(parser.take_request().path);
            }
            REQUIRE_FALSE(parser.failed());
        }
        CHECK(got == paths);
        CHECK(pending.empty());
    }
}

TEST_CASE("take_request() hands over the request and starts afresh") {
    RequestParser parser;
    parser.feed("POST /a?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    REQUIRE(parser.complete());
    const HttpRequest first = parser.take_request();
    CHECK(first.body == "hi");
    CHECK_FALSE(parser.complete());
    CHECK_FALSE(parser.failed());
    CHECK_FALSE(parser.started());

    // Nothing of the first request leaks into the second.
    parser.feed("GET /b HTTP/1.0\r\n\r\n");
    REQUIRE(parser.complete());
    const HttpRequest second = parser.take_request();
    CHECK(second.method == "GET");
    CHECK(second.path == "/b");
    CHECK(second.query == "");
    CHECK(second.version == "HTTP/1.0");
    CHECK(second.headers.size() == 0);
    CHECK(second.body == "");
}

TEST_CASE("the header limits count each request on its own") {
    // 60 fields in each of two requests: 120 on the connection, but fine.
    std::string fields = "Host: x\r\n";
    for (int i = 1; i < 60; ++i) fields += "X-" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
    const std::string request = "GET / HTTP/1.1\r\n" + fields + "\r\n";
    RequestParser parser;
    for (int round = 0; round < 2; ++round) {
        CHECK(parser.feed(request) == request.size());
        REQUIRE(parser.complete());
        parser.take_request();
    }
}

TEST_CASE("started() says whether a request has begun to arrive") {
    RequestParser parser;
    CHECK_FALSE(parser.started());
    parser.feed("\r\n\r\n");  // empty lines before a request do not count
    CHECK_FALSE(parser.started());
    parser.feed("G");
    CHECK(parser.started());
    parser.feed("ET / HTTP/1.1\r\nHost: x\r\n");
    CHECK(parser.started());
    CHECK_FALSE(parser.complete());
    parser.feed("\r\n");
    CHECK(parser.complete());
}

TEST_CASE("an incomplete request is neither complete nor failed") {
    for (const std::string& partial : {"GET / HTTP/1.1\r\nHost: x\r\n"s,
                                      "GET / HTTP/1.1\r\nHost: x\r\n\r"s,
                                      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhell"s,
                                      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"s}) {
        INFO(escape_bytes(partial));
        RequestParser parser;
        CHECK(parser.feed(partial) == partial.size());
        CHECK_FALSE(parser.complete());
        CHECK_FALSE(parser.failed());
    }
}
