#include "test_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "errors.hpp"
#include "shell.hpp"
#include "stage_test.hpp"
#include "strings.hpp"

extern char** environ;

namespace {

// Reads the first line the server prints on stdout, waiting at most 10 s.
std::string read_first_line(int fd) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        char c[256];
        const ssize_t n = ::read(fd, c, sizeof c);
        if (n <= 0) break;
        line.append(c, static_cast<std::size_t>(n));
    }
    return line.substr(0, line.find('\n'));
}

}  // namespace

TestServer::TestServer(std::vector<std::string> extra_args) {
    const std::string& path = test_target().server_path;
    std::vector<std::string> args = {path, "--port", "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    // The runner's --server-arg flags come last, for every server.
    args.insert(args.end(), test_target().server_args.begin(), test_target().server_args.end());
    args_ = args;
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    // The server's stderr (its log) goes to a temporary file that tests can read.
    char log_template[] = "/tmp/course-server-log-XXXXXX";
    const Fd log_fd(::mkstemp(log_template));
    if (!log_fd.valid()) throw_errno("mkstemp");
    log_path_ = log_template;

    int out[2];
    if (::pipe2(out, O_CLOEXEC) < 0) throw_errno("pipe2");
    const Fd read_end(out[0]);
    const Fd write_end(out[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, log_fd.get(), STDERR_FILENO);
    const int rc = ::posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error("cannot start " + path + ": " + std::strerror(rc));
    }

    listening_line_ = read_first_line(read_end.get());
    // "listening on http://127.0.0.1:PORT": the port follows the last ':'.
    const auto colon = listening_line_.rfind(':');
    const unsigned long long port =
        colon == std::string::npos ? 0 : parse_decimal(listening_line_.substr(colon + 1)).value_or(0);
    if (!listening_line_.starts_with("listening on ") || port == 0 || port > 65535) {
        const int status = stop();
        throw std::runtime_error("the server did not print 'listening on SCHEME://HOST:PORT' (got '" +
                                 listening_line_ + "', exit status " + std::to_string(status) +
                                 "); its log:\n" + log());
    }
    port_ = static_cast<std::uint16_t>(port);
    tls_ = listening_line_.starts_with("listening on https://");
}

std::string TestServer::command_line() const {
    std::string line;
    for (std::size_t i = 0; i < args_.size(); ++i) {
        if (!line.empty()) line += ' ';
        // The port the kernel picked, so that a replay can use it again.
        const bool port_value = i > 0 && args_[i - 1] == "--port" && args_[i] == "0";
        line += port_value ? std::to_string(port_) : shell_quote(args_[i]);
    }
    return line;
}

TestServer::~TestServer() {
    if (!running()) {
        ::unlink(log_path_.c_str());
        return;
    }
    const int status = stop();
    // A server that crashes or reports a sanitizer error on the way out
    // fails the test that was running.
    if (status != 0) {
        std::string text = log();
        if (text.size() > 4000) text = "..." + text.substr(text.size() - 4000);
        FAIL_CHECK("the server exited with status " << status << " after SIGTERM; its log:\n"
                                                    << text);
    }
    ::unlink(log_path_.c_str());
}

int TestServer::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    // Give it 10 s to finish what it is doing, then insist.
    for (int i = 0; i < 1000; ++i) {
        const pid_t done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_) break;
        if (i == 999) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

std::string TestServer::log() const {
    std::ifstream file(log_path_);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

Exchange TestServer::new_exchange(std::string how, std::string_view request) const {
    Exchange exchange;
    exchange.how = std::move(how);
    exchange.request = request;
    exchange.tls = tls_;
    exchange.server_command = command_line();
    exchange.port = port_;
    return exchange;
}

namespace {

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

}  // namespace

Exchange TestServer::exchange(std::string_view request, int responses, bool head_request) const {
    Exchange result = new_exchange("in one piece", request);
    const auto start = std::chrono::steady_clock::now();
    Connection connection = connect();
    connection.send(request);
    read_responses(connection, result, responses, head_request);
    result.took = since(start);
    return result;
}

std::vector<Exchange> TestServer::exchange_every_way(std::string_view request, int responses,
                                                     bool head_request) const {
    std::vector<Exchange> results;
    for (const auto& [how, cuts] : deliveries(request)) {
        Exchange result = new_exchange(how, request);
        const auto start = std::chrono::steady_clock::now();
        Connection connection = connect();
        connection.send_in_pieces(request, cuts);
        read_responses(connection, result, responses, head_request);
        result.took = since(start);
        results.push_back(std::move(result));
    }
    return results;
}

CommandResult run_server(std::vector<std::string> args) {
    const std::string& path = test_target().server_path;
    args.insert(args.begin(), path);
    args.insert(args.end(), test_target().server_args.begin(), test_target().server_args.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    int out[2];
    if (::pipe2(out, O_CLOEXEC) < 0) throw_errno("pipe2");
    const Fd read_end(out[0]);
    Fd write_end(out[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + path + ": " + std::strerror(rc));
    write_end.reset();  // so that the pipe ends when the server does

    CommandResult result;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool finished = false;
    while (!finished) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{read_end.get(), POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) break;
        char buffer[4096];
        const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) finished = true;
        else result.output.append(buffer, static_cast<std::size_t>(n));
    }
    if (!finished) {
        ::kill(pid, SIGKILL);
        result.output += "\n(still running after 10 s: killed)";
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_status = !finished             ? -1
                         : WIFEXITED(status) ? WEXITSTATUS(status)
                                             : 128 + WTERMSIG(status);
    return result;
}

void allow_descriptors(unsigned long wanted) {
    rlimit limit{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    if (limit.rlim_cur >= wanted) return;
    REQUIRE_MESSAGE((limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= wanted),
                    "the hard limit on open files (ulimit -Hn) is " << limit.rlim_max << ", below " << wanted);
    limit.rlim_cur = wanted;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
}
