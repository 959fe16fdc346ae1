// A libFuzzer target for the stage-2 RequestParser (run it with `make fuzz`).
//
// A parser facing the network meets every byte sequence sooner or later, so
// we let libFuzzer invent them. Sanitizers (ASan, UBSan) catch memory errors
// and undefined behaviour; the checks below catch the quieter bugs that do
// not crash but break a promise the server relies on:
//
//   - feed() never claims more bytes than it was given, and when it wants
//     more it has used everything (or the server would wait for nothing);
//   - once complete() or failed(), it stops: feed() uses nothing more;
//   - the outcome does not depend on how TCP cut the stream: the input fed
//     whole, a byte at a time, and cut at fuzzer-chosen places must give the
//     same requests, the same failure, at the same offsets;
//   - the limits hold: body, header count, request line and header section;
//   - a completed request is one the rest of the server can trust (a token
//     method, a known version, one Host in HTTP/1.1, a body of the length the
//     framing said, never Content-Length and Transfer-Encoding together);
//   - small limits only ever turn success into failure: they never change
//     what a request parses to.
//
// A broken check prints what broke and aborts, which libFuzzer reports as a
// crash and saves the input that caused it.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "request_parser.hpp"
#include "strings.hpp"

namespace {

[[noreturn]] void violated(const char* what, int line) {
    std::fprintf(stderr, "request_parser_fuzz: invariant violated (line %d): %s\n", line, what);
    std::abort();
}

// Like assert(), but never compiled out: the fuzzer builds with -O1 and may
// one day build with NDEBUG.
#define EXPECT(condition) ((condition) ? (void)0 : violated(#condition, __LINE__))

// Everything a request parses to, in a form that compares with ==.
struct Parsed {
    std::string method, target, path, query, version, body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t end = 0;  // offset in the input just after this request

    bool operator==(const Parsed&) const = default;
};

// What one run over the input produced.
struct Transcript {
    std::vector<Parsed> requests;
    bool failed = false;
    std::string error;     // why it failed
    bool started = false;  // input ran out in the middle of a request

    bool operator==(const Transcript&) const = default;
};

// The promises a completed request keeps, whatever the bytes were.
void check_request(const HttpRequest& request, const ParserLimits& limits) {
    EXPECT(request.body.size() <= limits.max_body_bytes);
    EXPECT(request.headers.size() <= limits.max_header_count);

    EXPECT(!request.method.empty());
    EXPECT(request.version == "HTTP/1.1" || request.version == "HTTP/1.0");
    // The request line, without its line ending, is within its limit.
    EXPECT(request.method.size() + 1 + request.target.size() + 1 + request.version.size() <=
           limits.max_request_line);
    for (const char c : request.method + request.target) {
        EXPECT(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f);
    }
    EXPECT(!request.path.empty());
    EXPECT(request.path.front() == '/' || (request.path == "*" && request.method == "OPTIONS"));
    EXPECT(request.path.find('?') == std::string::npos);
    EXPECT(request.target.find(request.path) != std::string::npos || request.path == "/");
    EXPECT(request.target.find(request.query) != std::string::npos);

    std::size_t header_bytes = 0;
    for (const auto& [name, value] : request.headers) {
        EXPECT(!name.empty());
        EXPECT(name.find_first_of(" \t\r\n:") == std::string::npos);
        EXPECT(value.find_first_of("\r\n") == std::string::npos);
        EXPECT(value.find('\0') == std::string::npos);
        EXPECT(trim_ows(value).size() == value.size());
        header_bytes += name.size() + 1 + value.size();
    }
    EXPECT(header_bytes <= limits.max_header_bytes);

    const Headers& headers = request.headers;
    if (request.version == "HTTP/1.1") EXPECT(headers.count("Host") == 1);
    EXPECT(headers.count("Host") <= 1);
    // Two framings at once is how requests are smuggled past proxies.
    EXPECT(!(headers.has("Content-Length") && headers.has("Transfer-Encoding")));
    if (headers.has("Content-Length")) {
        const std::string_view first = trim_ows(split(headers.get("Content-Length"), ',').front());
        const auto length = parse_decimal(first);
        EXPECT(length.has_value());
        EXPECT(*length == request.body.size());
    } else if (!headers.has("Transfer-Encoding")) {
        EXPECT(request.body.empty());
    }
}

// Feeds `input` cut at `cuts` (sorted offsets) the way the server does:
// whatever the parser did not use stays in a buffer in front of the next
// piece, and a completed request is taken before parsing on.
Transcript run(std::string_view input, const std::vector<std::size_t>& cuts,
               const ParserLimits& limits) {
    Transcript transcript;
    RequestParser parser(limits);
    std::string unparsed;
    std::size_t consumed = 0;  // input bytes the parser has used so far
    std::size_t start = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t end = i < cuts.size() ? cuts[i] : input.size();
        if (end < start) continue;
        unparsed.append(input.substr(start, end - start));
        start = end;

        while (true) {
            const std::size_t used = parser.feed(unparsed);
            EXPECT(used <= unparsed.size());
            EXPECT(!(parser.complete() && parser.failed()));
            consumed += used;
            if (!parser.complete() && !parser.failed()) {
                // It wants more: then it must have taken all it was given,
                // or bytes would sit in the buffer with nobody to read them.
                EXPECT(used == unparsed.size());
                unparsed.clear();
                break;
            }
            unparsed.erase(0, used);

            // Stopped means stopped, whatever comes next.
            const bool was_failed = parser.failed();
            EXPECT(parser.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
            EXPECT(parser.feed(unparsed.empty() ? std::string_view("\r\n") : unparsed) == 0);
            EXPECT(parser.failed() == was_failed && parser.complete() == !was_failed);

            if (was_failed) {
                EXPECT(!parser.error().empty());
                transcript.failed = true;
                transcript.error = parser.error();
                return transcript;
            }
            const HttpRequest request = parser.take_request();
            check_request(request, limits);
            // take_request() leaves a parser as good as new for the next one.
            EXPECT(!parser.complete() && !parser.failed() && !parser.started());
            std::vector<std::pair<std::string, std::string>> headers(request.headers.begin(),
                                                                     request.headers.end());
            transcript.requests.push_back({request.method, request.target, request.path,
                                           request.query, request.version, request.body,
                                           std::move(headers), consumed});
        }
    }
    transcript.started = parser.started();
    return transcript;
}

// Limits small enough that the fuzzer reaches every one of them with short
// inputs, where the real limits need kilobytes to test.
ParserLimits tiny_limits() {
    ParserLimits limits;
    limits.max_request_line = 32;
    limits.max_header_bytes = 128;
    limits.max_header_count = 4;
    limits.max_body_bytes = 16;
    limits.max_chunk_line = 8;
    return limits;
}

void check_every_delivery(std::string_view input, const ParserLimits& limits,
                          Transcript& whole) {
    whole = run(input, {}, limits);

    // A byte at a time, the hardest case for a parser. Large inputs (mostly
    // bodies) get pieces of mixed sizes instead, which cut them in just as
    // many kinds of places at a fraction of the cost: a fast fuzzer tries
    // more inputs.
    std::vector<std::size_t> cuts;
    constexpr std::size_t kPieces[] = {1, 2, 1, 3, 7, 1, 64, 1, 1000, 5, 4093};
    for (std::size_t i = 1, k = 0; i < input.size(); ++k) {
        cuts.push_back(i);
        i += input.size() <= 4096 ? 1 : kPieces[k % std::size(kPieces)];
    }
    EXPECT(run(input, cuts, limits) == whole);

    // Two cuts the fuzzer controls through the first and last two bytes, so
    // it can steer a cut into the middle of "\r\n" or of a chunk size.
    if (input.size() >= 2) {
        const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(input[i]); };
        const std::size_t n = input.size();
        std::size_t first = ((byte(0) << 8) | byte(1)) % (n + 1);
        std::size_t second = ((byte(n - 1) << 8) | byte(n - 2)) % (n + 1);
        if (first > second) std::swap(first, second);
        EXPECT(run(input, {first, second}, limits) == whole);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    Transcript normal;
    check_every_delivery(input, ParserLimits{}, normal);
    Transcript tiny;
    check_every_delivery(input, tiny_limits(), tiny);

    // Every tiny limit is below the normal one, so the tiny parser may only
    // stop earlier: what it did parse, the normal parser parsed the same way.
    EXPECT(tiny.requests.size() <= normal.requests.size());
    for (std::size_t i = 0; i < tiny.requests.size(); ++i) {
        EXPECT(tiny.requests[i] == normal.requests[i]);
    }
    if (!tiny.failed) EXPECT(tiny == normal);
    return 0;
}
