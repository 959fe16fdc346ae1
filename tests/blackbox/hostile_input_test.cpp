// Hostile input against the real server: the fuzzing seed corpus, replayed
// over sockets.
//
// The fuzzer (make fuzz) proves the parser alone survives any bytes; these
// tests prove the whole server does: whatever a client sends, whole, cut
// short, or followed by garbage, every answer that comes back is a
// well-formed HTTP/1.1 response, and the server goes on serving the next
// client. The seeds live in tests/fuzz/corpus/ (one raw request per file,
// named for what it tries); adding a file there adds it to these tests. Seeds
// must not use HEAD, whose responses carry no body, because the responses
// here are read without knowing which requests were sent.

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <string_view>
#include <vector>

#include "bytes.hpp"
#include "stage_test.hpp"
#include "strings.hpp"
#include "test_server.hpp"

namespace {

// Relative to the repository root, where the tests run.
const std::string kCorpusDir = "tests/fuzz/corpus";

struct Seed {
    std::string name;
    std::string bytes;
};

std::vector<Seed> load_corpus() {
    std::vector<Seed> seeds;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(kCorpusDir, error)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream file(entry.path(), std::ios::binary);
        std::stringstream bytes;
        bytes << file.rdbuf();
        seeds.push_back({entry.path().filename().string(), bytes.str()});
    }
    std::sort(seeds.begin(), seeds.end(),
              [](const Seed& a, const Seed& b) { return a.name < b.name; });
    return seeds;
}

// The seeds, or a failed test that says where they should have been.
std::vector<Seed> corpus_or_fail() {
    std::vector<Seed> seeds = load_corpus();
    if (seeds.empty()) {
        FAIL("no seed files in " << kCorpusDir << "/ (run the tests from the repository root)");
    }
    return seeds;
}

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        return alnum || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

// Visible ASCII, SP, HTAB and obs-text: what a reason phrase or a field
// value may hold (RFC 9110 section 5.5, RFC 9112 section 4).
bool is_field_text(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
    });
}

// Decodes a chunked body at the front of `rest` (RFC 9112 section 7.1);
// returns how many bytes it took, or npos if it is malformed or cut short.
std::size_t chunked_length(std::string_view rest) {
    std::size_t at = 0;
    while (true) {
        const std::size_t line_end = rest.find("\r\n", at);
        if (line_end == std::string_view::npos) return std::string_view::npos;
        std::string_view size_text = rest.substr(at, line_end - at);
        size_text = size_text.substr(0, size_text.find(';'));
        const auto size = parse_hex(trim_ows(size_text));
        if (!size || *size > rest.size()) return std::string_view::npos;
        at = line_end + 2;
        if (*size == 0) break;
        at += static_cast<std::size_t>(*size);
        if (rest.substr(at, 2) != "\r\n") return std::string_view::npos;
        at += 2;
    }
    // Trailer fields, then the empty line.
    while (true) {
        const std::size_t line_end = rest.find("\r\n", at);
        if (line_end == std::string_view::npos) return std::string_view::npos;
        const bool empty = line_end == at;
        at = line_end + 2;
        if (empty) return at;
    }
}

// Checks that `bytes`, everything the server sent on one connection, is a
// sequence of well-formed HTTP/1.1 responses: interim 1xx ones, and final
// ones with a status in 200..599. Returns what is wrong, or "".
std::string check_responses(std::string_view bytes) {
    while (!bytes.empty()) {
        const std::size_t head_end = bytes.find("\r\n\r\n");
        if (head_end == std::string_view::npos) return "a response head that never ends";
        // Each line keeps its CR; the split leaves an empty piece after the last LF.
        std::vector<std::string_view> lines = split(bytes.substr(0, head_end + 2), '\n');
        lines.pop_back();

        // status-line = HTTP-version SP status-code SP [ reason-phrase ]
        std::string_view status_line = lines.front();
        if (!status_line.ends_with('\r')) return "a status line that does not end with CRLF";
        status_line.remove_suffix(1);
        if (!status_line.starts_with("HTTP/1.1 ") || status_line.size() < 13 ||
            status_line[12] != ' ') {
            return "a status line that is not 'HTTP/1.1 CODE REASON'";
        }
        const auto status = parse_decimal(status_line.substr(9, 3));
        if (!status || *status < 100 || *status > 599 || *status == 101) {
            return "status code '" + std::string(status_line.substr(9, 3)) + "'";
        }
        if (!is_field_text(status_line.substr(13))) return "a control byte in the reason phrase";

        std::string_view content_length;
        bool chunked = false;
        for (std::size_t i = 1; i < lines.size(); ++i) {
            std::string_view line = lines[i];
            if (!line.ends_with('\r')) return "a header line that does not end with CRLF";
            line.remove_suffix(1);
            const std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
                return "a malformed header line '" + show_bytes(line) + "'";
            }
            const std::string_view name = line.substr(0, colon);
            const std::string_view value = trim_ows(line.substr(colon + 1));
            if (!is_field_text(value)) return "a control byte in header " + std::string(name);
            if (iequals(name, "Content-Length")) {
                if (!content_length.empty()) return "two Content-Length headers";
                content_length = value;
            }
            if (iequals(name, "Transfer-Encoding")) chunked = true;
        }
        bytes.remove_prefix(head_end + 4);

        // The body's length (RFC 9112 section 6.3).
        if (*status < 200) continue;  // interim: no body, the final one follows
        std::size_t length = 0;
        if (*status == 204 || *status == 304) {
            length = 0;
        } else if (chunked) {
            if (!content_length.empty()) return "both Content-Length and Transfer-Encoding";
            length = chunked_length(bytes);
            if (length == std::string_view::npos) return "a malformed chunked body";
        } else if (!content_length.empty()) {
            const auto parsed = parse_decimal(content_length);
            if (!parsed) return "Content-Length '" + std::string(content_length) + "'";
            if (*parsed > bytes.size()) return "a body shorter than its Content-Length";
            length = static_cast<std::size_t>(*parsed);
        } else {
            length = bytes.size();  // delimited by the close
        }
        bytes.remove_prefix(length);
    }
    return "";
}

// Sends `bytes` on a new connection, says "no more" (FIN), and returns all
// the server sends until it closes. Half-closing, instead of waiting for a
// timeout, lets a server that is waiting for the rest of a request see at
// once that it will not come.
struct Replay {
    std::string received;
    bool closed = false;
};

Replay replay(const TestServer& server, std::string_view bytes) {
    Connection client = server.connect();
    client.send(bytes);
    client.shutdown_write();
    Replay result;
    result.closed = client.closed_by_server(std::chrono::seconds(2));
    result.received = client.received();
    return result;
}

// The one check every replay ends with.
void check_replay(const Replay& result) {
    const std::string problem = check_responses(result.received);
    INFO("response received (" << result.received.size() << " bytes):\n  "
                               << show_bytes(result.received));
    CHECK_MESSAGE(problem.empty(), "not well-formed HTTP/1.1: " << problem);
    CHECK_MESSAGE(result.closed, "the server did not close within 2 s of the client's FIN");
}

// Whether the server still does its job: a plain request gets 200.
// (Stage 2 answers any path; from stage 3 on, GET /echo is a route.)
bool still_answers(const TestServer& server) {
    // From stage 6 on, a server still busy with the flood may say 503 (come
    // back later), which is an answer too: try again for a few seconds.
    for (int attempt = 0; attempt < 10; ++attempt) {
        Connection client = server.connect();
        client.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
        const Response response = client.read_response(false, std::chrono::seconds(5));
        if (response.status != 503) return response.status == 200;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
}

// Where to cut a seed short: after its first byte, between the first CR
// and its LF (the spot a line-at-a-time parser trips on), in the middle,
// and one byte before the end.
std::vector<std::size_t> truncation_points(std::string_view bytes) {
    std::vector<std::size_t> points = {1, bytes.find('\r') + 1, bytes.size() / 2, bytes.size() - 1};
    std::erase_if(points, [&](std::size_t p) { return p == 0 || p >= bytes.size(); });
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    return points;
}

// Bytes a client should never send, the same on every run so that a failure
// can be replayed: random bytes with a few line endings mixed in, so that a
// parser sees "lines" as well as noise.
std::string garbage(std::size_t size, std::uint32_t seed) {
    std::mt19937 random(seed);
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random() & 0xff);
    for (std::size_t i = 0; i < size / 256; ++i) {
        const std::size_t at = random() % (size - 1);
        bytes[at] = '\r';
        bytes[at + 1] = '\n';
    }
    return bytes;
}

// Closes with a TCP reset instead of FIN (SO_LINGER with a zero timeout):
// the rudest way a client can leave.
void reset_connection(Connection& client) {
    const linger abort_on_close{1, 0};
    ::setsockopt(client.fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    client.close();
}

}  // namespace

STAGE_TEST(2, "every seed of the fuzzing corpus gets only well-formed responses") {
    const std::vector<Seed> seeds = corpus_or_fail();
    TestServer server;
    for (const Seed& seed : seeds) {
        INFO("seed " << kCorpusDir << "/" << seed.name << " sent whole");
        check_replay(replay(server, seed.bytes));
        REQUIRE_MESSAGE(still_answers(server), "the server no longer answers GET /echo");
    }
}

STAGE_TEST(2, "every seed of the fuzzing corpus, cut short, gets only well-formed responses") {
    const std::vector<Seed> seeds = corpus_or_fail();
    TestServer server;
    for (const Seed& seed : seeds) {
        for (const std::size_t cut : truncation_points(seed.bytes)) {
            INFO("seed " << kCorpusDir << "/" << seed.name << " cut after " << cut << " of "
                         << seed.bytes.size() << " bytes");
            check_replay(replay(server, std::string_view(seed.bytes).substr(0, cut)));
        }
        INFO("after seed " << seed.name);
        REQUIRE_MESSAGE(still_answers(server), "the server no longer answers GET /echo");
    }
}

STAGE_TEST(2, "every seed of the fuzzing corpus, then 64 KiB of garbage, gets only well-formed responses") {
    const std::vector<Seed> seeds = corpus_or_fail();
    TestServer server;
    std::uint32_t n = 0;
    for (const Seed& seed : seeds) {
        INFO("seed " << kCorpusDir << "/" << seed.name << " followed by garbage(65536, " << n << ")");
        check_replay(replay(server, seed.bytes + garbage(64 * 1024, n++)));
        REQUIRE_MESSAGE(still_answers(server), "the server no longer answers GET /echo");
    }
}

STAGE_TEST(2, "200 clients that send malformed or truncated requests and vanish do not stop the server") {
    const std::vector<Seed> seeds = corpus_or_fail();
    TestServer server;
    std::mt19937 random(2024);
    // Twenty at a time, so that some wait in the listen queue while the
    // server deals with the others, and each leaves in a different way.
    for (int batch = 0; batch < 10; ++batch) {
        std::vector<Connection> clients;
        for (int i = 0; i < 20; ++i) {
            std::string bytes = seeds[random() % seeds.size()].bytes;
            bytes.resize(random() % (bytes.size() + 1));  // truncated, maybe to nothing
            for (auto flips = random() % 4; flips > 0 && !bytes.empty(); --flips) {
                bytes[random() % bytes.size()] = static_cast<char>(random() & 0xff);
            }
            clients.push_back(server.connect());
            clients.back().send(bytes);
        }
        for (std::size_t i = 0; i < clients.size(); ++i) {
            if (i % 2 == 0) reset_connection(clients[i]);
            else clients[i].close();
        }
    }
    CHECK(still_answers(server));
}

// A client that sends requests but never reads the answers: they fill its
// receive buffer, then the server's send buffer, and then the server's
// send() waits for room. Without a limit it waits for ever, and holds the
// whole server (stages 4 and 5) or a worker (stage 6 on). The limit is
// --request-timeout: a client has as long to take a response as to send a
// request.
STAGE_TEST(4, "a client that never reads its responses is dropped after --request-timeout") {
    TestServer server({"--request-timeout", "1"});
    Connection greedy = server.connect();
    if (greedy.tls()) REQUIRE(greedy.finish_handshake());
    // GET /echo describes the request, headers included: a 4 KiB header
    // makes every answer over 4 KiB, 16 MiB in all, more than the buffers hold.
    const std::string request =
        "GET /echo HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4096, 'p') + "\r\n\r\n";
    std::string burst;
    for (int i = 0; i < 4096; ++i) burst += request;
    // The send blocks once the server stops reading; it fails, and returns,
    // when the server drops the connection.
    auto sending = std::async(std::launch::async, [&] { greedy.send(burst); });
    const bool dropped = sending.wait_for(std::chrono::seconds(15)) == std::future_status::ready;
    if (!dropped) ::shutdown(greedy.fd(), SHUT_RDWR);  // unblock the sender before failing
    sending.wait();
    CHECK_MESSAGE(dropped, "the server still holds a client that does not read, after 15 s");
    CHECK(still_answers(server));
}
