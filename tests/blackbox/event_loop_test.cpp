// Stage 8: one event loop serves every connection.
//
// What a loop must get right and a thread per connection never had to:
// thousands of connections at once, a client that does not read, a
// handler that blocks, timeouts that nobody sleeps for, and limits. Timing
// bounds are wide: they tell "at once" from "after the slow one".
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bytes.hpp"
#include "stage_test.hpp"
#include "strings.hpp"
#include "temp_folder.hpp"
#include "test_server.hpp"

using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// A field of /proc/PID/status in KiB ("VmRSS"), 0 if it cannot be read.
long status_kib(pid_t pid, const std::string& field) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
    }
    return 0;
}

// ThreadSanitizer keeps shadow memory for every byte the server touches, and
// its allocator caches: the server's RSS grows about ten times as fast.
// (What the tests bound, a buffer instead of 32 MiB, still shows.)
#if defined(__SANITIZE_THREAD__)
constexpr long kRssGrowthUnderSanitizer = 8;
#else
constexpr long kRssGrowthUnderSanitizer = 1;
#endif

// The CPU time the process has used so far, in seconds (proc(5): utime and
// stime, fields 14 and 15 of /proc/PID/stat).
double cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (name) "
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A connection whose handshake (over TLS) is done, so that what is timed
// afterwards is a request, not a handshake.
Connection connected(const TestServer& server) {
    Connection connection = server.connect();
    if (connection.tls()) REQUIRE_MESSAGE(connection.finish_handshake(), connection.tls_error());
    return connection;
}

// A new client is answered at once: nothing holds the loop up.
void another_client_is_answered_at_once(const TestServer& server) {
    Connection other = connected(server);
    const auto asked = Clock::now();
    other.send(get("/hello/other"));
    CHECK(other.read_response(false, 5s).body == "Hello, other!\n");
    CHECK(seconds_since(asked) < 0.5);
}

// A root holding one file, big.bin, of `bytes`, each 8-byte word holding
// its own offset, so a misplaced chunk shows where.
struct RootWithBigFile {
    const TempFolder folder{"loop-files"};
    const std::string root = folder.path();
    std::string content;
    explicit RootWithBigFile(std::size_t bytes) : content(bytes, '\0') {
        for (std::size_t i = 0; i + 8 <= bytes; i += 8) {
            std::snprintf(content.data() + i, 9, "%07zx", i / 8 % 0x10000000);
            content[i + 7] = '\n';
        }
        std::ofstream(root + "/big.bin", std::ios::binary) << content;
    }
};

}  // namespace

STAGE_TEST(8, "2,000 keep-alive connections at once are all answered") {
    constexpr int kClients = 2000;
    allow_descriptors(kClients + 256);
    // Opening them all takes seconds (TLS handshakes): the first must not
    // reach their idle timeout meanwhile.
    TestServer server({"--idle-timeout", "120"});
    std::vector<Connection> clients;
    clients.reserve(kClients);
    // Each handshake is finished before the next connection opens: one left
    // unfinished would count against the request timeout until its send below.
    for (int i = 0; i < kClients; ++i) clients.push_back(connected(server));
    // Every connection is open before any asks: the server holds them all.
    for (int i = 0; i < kClients; ++i) clients[static_cast<std::size_t>(i)].send(get("/hello/c" + std::to_string(i)));
    int answered = 0;
    std::string first_failure;
    for (int i = 0; i < kClients; ++i) {
        Connection& client = clients[static_cast<std::size_t>(i)];
        const Response response = client.read_response(false, 30s);
        if (response.body == "Hello, c" + std::to_string(i) + "!\n") {
            ++answered;
        } else if (first_failure.empty()) {
            first_failure = "client " + std::to_string(i) + ": " + response.error + " " + show_bytes(client.received());
        }
    }
    INFO(first_failure);
    CHECK(answered == kClients);
    // And they are still open: a second round on every tenth.
    for (std::size_t i = 0; i < clients.size(); i += 10) {
        clients[i].send(get("/hello/again"));
        CHECK(clients[i].read_response(false, 30s).status == 200);
    }
}

STAGE_TEST(8, "a client that never reads cannot grow the server's memory, and the others are served") {
    // Under AddressSanitizer freed memory waits in a quarantine and counts
    // in RSS: keep it small, so that RSS measures what the server holds.
    ::setenv("ASAN_OPTIONS", "quarantine_size_mb=1", /*overwrite=*/0);
    TestServer server({"--request-timeout", "2"});
    const long rss_before = status_kib(server.pid(), "VmRSS");
    Connection greedy = connected(server);
    // Each answer to GET /echo repeats the request's 4 KiB header: 32 MiB
    // of answers that the client never reads. Without back-pressure the
    // server would read every request and keep every answer.
    const std::string request = "GET /echo HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4096, 'p') + "\r\n\r\n";
    std::string burst;
    for (int i = 0; i < 8192; ++i) burst += request;
    const auto start = Clock::now();
    auto sending = std::async(std::launch::async, [&] { greedy.send(burst); });
    // The buffers fill, and the server stops reading: the send stays blocked.
    CHECK(sending.wait_for(1s) == std::future_status::timeout);

    const long rss_stuck = status_kib(server.pid(), "VmRSS");
    INFO("server RSS: " << rss_before << " KiB before, " << rss_stuck << " KiB with the greedy client");
    CHECK(rss_stuck - rss_before < 8 * 1024 * kRssGrowthUnderSanitizer);

    another_client_is_answered_at_once(server);

    // The send timeout (--request-timeout) closes the greedy connection:
    // its blocked send() fails and returns.
    const bool dropped = sending.wait_for(15s) == std::future_status::ready;
    if (!dropped) ::shutdown(greedy.fd(), SHUT_RDWR);  // unblock the sender before failing
    sending.wait();
    INFO("the greedy client was dropped after " << seconds_since(start) << " s");
    CHECK(dropped);
}

STAGE_TEST(8, "clients slow to take a large file hold no thread and little memory; others are served meanwhile") {
    ::setenv("ASAN_OPTIONS", "quarantine_size_mb=1", /*overwrite=*/0);  // as above
    constexpr std::size_t kBytes = 16u << 20;
    const RootWithBigFile files(kBytes);
    const std::string& content = files.content;
    TestServer server({"--root", files.root, "--request-timeout", "30"});
    const long rss_before = status_kib(server.pid(), "VmRSS");

    // Ten clients ask for it, and a HEAD, and take nothing yet: the socket
    // buffers fill, and the rest waits in the file, not in the server.
    std::vector<Connection> slow;
    for (int i = 0; i < 10; ++i) {
        slow.push_back(connected(server));
        slow.back().send(get("/static/big.bin") + "HEAD /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    std::this_thread::sleep_for(300ms);
    const long rss_stuck = status_kib(server.pid(), "VmRSS");
    INFO("server RSS: " << rss_before << " KiB before, " << rss_stuck << " KiB with 10 stalled downloads");
    CHECK(rss_stuck - rss_before < 8 * 1024 * kRssGrowthUnderSanitizer);

    another_client_is_answered_at_once(server);

    // Each download resumes where the socket stopped taking it, whole and in
    // order, and the HEAD behind it gets the same length and no body.
    for (Connection& client : slow) {
        const Response big = client.read_response(false, 30s);
        CHECK(big.status == 200);
        CHECK(big.body.size() == kBytes);
        CHECK((big.body == content));
        const Response head = client.read_response(/*head_request=*/true, 5s);
        CHECK(head.header("Content-Length") == std::to_string(kBytes));
        CHECK(head.body.empty());
    }
}

STAGE_TEST(8, "a download longer than the timeouts goes on while the client keeps taking bytes") {
    const RootWithBigFile files(32u << 20);
    TestServer server({"--root", files.root, "--request-timeout", "2", "--idle-timeout", "1"});
    Connection client = connected(server);
    client.send(get("/static/big.bin"));
    // The client takes some now and then: pauses well within the send
    // timeout, together longer than it and the idle timeout. The server must
    // count what it takes as progress, and a download as not idle.
    const auto start = Clock::now();
    while (seconds_since(start) < 3.0 && client.received().size() < files.content.size()) {
        std::this_thread::sleep_for(700ms);
        INFO(client.received().size() << " bytes received after " << seconds_since(start) << " s");
        REQUIRE_FALSE(client.closed_by_server(20ms));
    }
    const Response big = client.read_response(false, 30s);
    INFO(big.error);
    CHECK(big.status == 200);
    CHECK((big.body == files.content));
}

STAGE_TEST(8, "a slow handler runs on the pool: other connections are answered in milliseconds meanwhile") {
    TestServer server;
    constexpr int kClients = 20;
    std::vector<Connection> clients;
    for (int i = 0; i < kClients; ++i) clients.push_back(connected(server));
    Connection slow = connected(server);
    Connection login = connected(server);
    const auto start = Clock::now();
    slow.send(get("/delay/2000"));
    const std::string form = "username=alice&password=wonderland";
    login.send("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: " + std::to_string(form.size()) + "\r\n\r\n" + form);
    std::this_thread::sleep_for(50ms);  // both are on the pool now
    double slowest = 0;
    for (int i = 0; i < kClients; ++i) {
        Connection& client = clients[static_cast<std::size_t>(i)];
        const auto asked = Clock::now();
        client.send(get("/hello/quick"));
        CHECK(client.read_response(false, 5s).status == 200);
        slowest = std::max(slowest, seconds_since(asked));
    }
    INFO("the slowest of " << kClients << " GET /hello took " << slowest * 1000 << " ms");
    CHECK(slowest < 0.25);
    CHECK(seconds_since(start) < 1.5);  // all of them long before the slow one ends
    const Response waited = slow.read_response(false, 10s);
    CHECK(waited.body == "waited 2000 ms\n");
    CHECK(seconds_since(start) >= 1.9);
    CHECK(login.read_response(false, 10s).status == 200);
}

STAGE_TEST(8, "a client that vanishes while its request is on the pool costs no CPU meanwhile") {
    TestServer server;
    Connection gone = connected(server);
    gone.send(get("/delay/1500"));
    std::this_thread::sleep_for(200ms);  // on the pool now
    // A reset: epoll reports EPOLLHUP/EPOLLERR even for a socket it watches
    // for nothing, at every turn, until the server stops watching it.
    const linger abort_on_close{1, 0};
    ::setsockopt(gone.fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    gone.close();
    const double cpu_before = cpu_seconds(server.pid());
    std::this_thread::sleep_for(1s);
    const double cpu_used = cpu_seconds(server.pid()) - cpu_before;
    INFO("CPU used while the job ran: " << cpu_used << " s");
    CHECK(cpu_used < 0.3);
    CHECK(server.exchange(get("/hello/after")).response().body == "Hello, after!\n");
}

STAGE_TEST(8, "pipelined requests are answered in order, also when some of them run on the pool") {
    TestServer server;
    Connection client = server.connect();
    client.send(get("/delay/300") + get("/hello/second") + get("/delay/0") + get("/hello/fourth"));
    CHECK(client.read_response().body == "waited 300 ms\n");
    CHECK(client.read_response().body == "Hello, second!\n");
    CHECK(client.read_response().body == "waited 0 ms\n");
    CHECK(client.read_response().body == "Hello, fourth!\n");
}

STAGE_TEST(8, "when the pool's queue is full, a blocking request gets 503 with Retry-After; others are served") {
    TestServer server({"--threads", "1", "--queue", "1"});
    Connection busy = connected(server);  // takes the only worker
    busy.send(get("/delay/1500"));
    std::this_thread::sleep_for(200ms);
    Connection waiting = connected(server);  // fills the queue
    waiting.send(get("/delay/10"));
    std::this_thread::sleep_for(200ms);

    Connection refused = connected(server);
    refused.send(get("/delay/10"));
    const Response response = refused.read_response();
    INFO(show_bytes(refused.received()));
    CHECK(response.status == 503);
    CHECK(response.header("Retry-After") == "1");
    // The connection itself is fine, and requests that need no worker are
    // answered at once.
    refused.send(get("/hello/anyway"));
    CHECK(refused.read_response(false, 1s).body == "Hello, anyway!\n");
    CHECK(busy.read_response(false, 5s).status == 200);
    CHECK(waiting.read_response(false, 5s).status == 200);
}

STAGE_TEST(8, "the idle timeout closes quiet connections, hundreds at once, and spares active ones") {
    allow_descriptors(1024);
    TestServer server({"--idle-timeout", "1"});
    std::vector<Connection> quiet;
    for (int i = 0; i < 300; ++i) {
        quiet.push_back(server.connect());
        quiet.back().send(get("/hello/quiet"));
        REQUIRE(quiet.back().read_response().status == 200);
    }
    // An active connection: a request every 0.4 s keeps it open for longer
    // than the timeout, since each response starts its idle time anew.
    Connection active = server.connect();
    const auto start = Clock::now();
    while (seconds_since(start) < 2.0) {
        active.send(get("/hello/active"));
        REQUIRE(active.read_response().status == 200);
        std::this_thread::sleep_for(400ms);
    }
    int closed = 0;
    for (Connection& connection : quiet) closed += connection.closed_by_server(3s) ? 1 : 0;
    CHECK(closed == 300);
    CHECK(quiet.front().received().find("HTTP/1.1 408") == std::string::npos);  // no answer, just a close
    active.send(get("/hello/still"));
    CHECK(active.read_response().status == 200);
}

STAGE_TEST(8, "the request timeout runs from the first byte: a request that trickles in gets 408") {
    TestServer server({"--request-timeout", "1", "--idle-timeout", "10"});
    Connection slow = connected(server);
    const std::string request = get("/hello/slow");
    const auto start = Clock::now();
    // One byte every 200 ms would take 5 s for the whole request: each byte
    // is progress, but the request as a whole is late.
    std::size_t sent = 0;
    while (sent < request.size() && !slow.closed_by_server(200ms)) slow.send(request.substr(sent++, 1));
    const double took = seconds_since(start);
    INFO(show_bytes(slow.received()));
    CHECK(slow.received().starts_with("HTTP/1.1 408 Request Timeout\r\n"));
    CHECK(took > 0.8);
    CHECK(took < 3.0);
}

STAGE_TEST(8, "a request that has begun is not cut off by the shorter idle timeout") {
    TestServer server({"--request-timeout", "3", "--idle-timeout", "1"});
    Connection client = connected(server);
    const std::string request = get("/hello/patient");
    client.send(request.substr(0, 10));
    CHECK_FALSE(client.closed_by_server(1500ms));  // past the idle timeout, within the request's
    client.send(request.substr(10));
    CHECK(client.read_response().body == "Hello, patient!\n");
}

STAGE_TEST(8, "at --max-connections, the longest-idle connection makes room for a newcomer") {
    TestServer server({"--max-connections", "3"});
    std::vector<Connection> idle;
    for (int i = 0; i < 3; ++i) {
        idle.push_back(server.connect());
        idle.back().send(get("/hello/idle" + std::to_string(i)));
        REQUIRE(idle.back().read_response().status == 200);
        std::this_thread::sleep_for(20ms);  // so that idle[0] is the longest idle
    }
    const auto start = Clock::now();
    Connection newcomer = server.connect();
    newcomer.send(get("/hello/new"));
    CHECK(newcomer.read_response(false, 2s).body == "Hello, new!\n");
    CHECK(seconds_since(start) < 0.5);
    CHECK(idle[0].closed_by_server(1s));
    idle[2].send(get("/hello/kept"));
    CHECK(idle[2].read_response().body == "Hello, kept!\n");
}

STAGE_TEST(8, "at --max-connections with none idle, a newcomer waits until one closes, then is served") {
    TestServer server({"--max-connections", "2"});
    std::vector<Connection> busy;
    const auto first_sent = Clock::now();  // no earlier than this, the first /delay/800 starts
    for (int i = 0; i < 2; ++i) {
        busy.push_back(connected(server));
        busy.back().send("GET /delay/800 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }
    std::this_thread::sleep_for(100ms);
    const auto start = Clock::now();
    Connection newcomer = server.connect();  // TCP connects: it waits in the kernel's queue
    newcomer.send(get("/hello/patient"));
    const Response response = newcomer.read_response(false, 10s);
    INFO(show_bytes(newcomer.received()));
    INFO("answered " << seconds_since(start) << " s after it connected");
    CHECK(response.body == "Hello, patient!\n");
    CHECK(seconds_since(first_sent) >= 0.8);  // not before a busy connection closed
    for (Connection& connection : busy) CHECK(connection.read_response().status == 200);
}

STAGE_TEST(8, "out of descriptors (EMFILE), the server pauses accepting without spinning, then serves") {
    TestServer server;
    // One connection first, while descriptors are plenty. (It also shows
    // UndefinedBehaviorSanitizer each type once: its first check of a type
    // needs a spare descriptor, which this test is about to take away.)
    REQUIRE(server.exchange("GET /hello/first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .response().status == 200);
    // Lower the running server's own limit (prlimit(2)) to just above what
    // it has open: the next few accepts fail with EMFILE.
    const pid_t pid = server.pid();
    std::size_t open_now = 0;
    for (std::size_t fd = 0; fd < 1024; ++fd) {
        open_now += ::access(("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd)).c_str(), F_OK) == 0 ? 1 : 0;
    }
    rlimit normal{};
    REQUIRE(::prlimit(pid, RLIMIT_NOFILE, nullptr, &normal) == 0);
    const rlimit low{open_now + 3, normal.rlim_max};  // the soft limit only: raising it back needs no privilege
    REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &low, nullptr) == 0);
    // The kernel completes their TCP handshakes; the server can take three.
    std::vector<Connection> clients;
    for (int i = 0; i < 8; ++i) {
        clients.push_back(server.connect());
        clients.back().send(get("/hello/waiting"));
    }
    const double cpu_before = cpu_seconds(pid);
    std::this_thread::sleep_for(1s);
    const double cpu_used = cpu_seconds(pid) - cpu_before;
    INFO("CPU used in a second of EMFILE: " << cpu_used << " s; the server's log:\n" << server.log());
    CHECK(cpu_used < 0.3);  // a spinning accept loop would use the whole second
    // Said, but once a second at most: not at each of its ten retries.
    const std::string log = server.log();
    std::size_t said = 0;
    for (std::size_t at = log.find("Too many open files"); at != std::string::npos;
         at = log.find("Too many open files", at + 1)) {
        ++said;
    }
    CHECK(said >= 1);
    CHECK(said <= 2);

    // Give the descriptors back: every waiting client is served.
    REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &normal, nullptr) == 0);
    for (Connection& client : clients) CHECK(client.read_response(false, 5s).body == "Hello, waiting!\n");
    CHECK(server.exchange(get("/hello/after")).response().body == "Hello, after!\n");
}

STAGE_TEST(8, "--plain serves plain HTTP on --port, says http:// in the listening line, and its cookie has no Secure") {
    TestServer server({"--plain"});
    CHECK(server.listening_line() == "listening on http://127.0.0.1:" + std::to_string(server.port()));
    Exchange ex = server.exchange(get("/hello/plain"));
    INFO(ex);
    CHECK(ex.response().body == "Hello, plain!\n");
    CHECK_FALSE(ex.response().has_header("Strict-Transport-Security"));  // HSTS only over TLS
    // Secure would tell a browser never to send the cookie over http://,
    // the only way to this server: logging in would never stick.
    const std::string form = "username=alice&password=wonderland";
    Exchange login = server.exchange("POST /login HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\n"
                                     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                                     std::to_string(form.size()) + "\r\n\r\n" + form);
    INFO(login);
    REQUIRE(login.response().status == 200);  // and the Origin check expects http://
    const std::string cookie = login.response().header("Set-Cookie");
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("Secure") == std::string::npos);
}

STAGE_TEST(8, "SIGTERM closes idle connections at once and exits 0 after the requests in flight") {
    TestServer server;
    Connection idle = connected(server);
    idle.send(get("/hello/idle"));
    REQUIRE(idle.read_response().status == 200);
    Connection slow = connected(server);
    slow.send(get("/delay/1000"));
    std::this_thread::sleep_for(200ms);
    ::kill(server.pid(), SIGTERM);
    CHECK(idle.closed_by_server(500ms));
    const Response response = slow.read_response(false, 5s);
    CHECK(response.status == 200);
    CHECK(response.header("Connection") == "close");
    CHECK(server.stop() == 0);
}
