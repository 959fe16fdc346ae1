// The black-box test runner.
//
//     blackbox_tests --stage N --server PATH [--server-arg ARG]... [doctest options]
//
// runs every test that holds at stage N (see tests/support/stage_test.hpp)
// against the server binary at PATH: the course's own build/stageN/server,
// or a learner's workspace build (make check N=...). Each --server-arg ARG
// is added to the command line of every server the tests start, in order:
//
//     blackbox_tests --stage 8 --server build/stage8/server --server-arg --plain
//     blackbox_tests --stage 6 --server PATH --server-arg --threads --server-arg 2
//
// Doctest's own options select tests and shape the output: -tc='*HEAD*'
// runs the tests whose names match, -s shows passing checks too, and
// --help lists the rest.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "stage_test.hpp"

namespace {
TestTarget g_target;
}

const TestTarget& test_target() { return g_target; }

int main(int argc, char** argv) {
    std::vector<char*> doctest_args = {argv[0]};
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--stage" && i + 1 < argc) {
            g_target.stage = std::atoi(argv[++i]);
        } else if (arg == "--server" && i + 1 < argc) {
            g_target.server_path = argv[++i];
        } else if (arg == "--server-arg" && i + 1 < argc) {
            g_target.server_args.emplace_back(argv[++i]);
        } else if (arg.starts_with("--server-arg=")) {
            g_target.server_args.push_back(arg.substr(sizeof "--server-arg=" - 1));
        } else {
            doctest_args.push_back(argv[i]);
        }
    }
    if (g_target.stage < 1 || g_target.server_path.empty()) {
        std::fprintf(stderr,
                     "usage: %s --stage N --server PATH [--server-arg ARG]... [doctest options]\n",
                     argv[0]);
        return 2;
    }

    doctest::Context context(static_cast<int>(doctest_args.size()), doctest_args.data());
    // The suites that hold at stage N: "stage K+" for every K <= N, and
    // "stage K-L" for every K <= N <= L.
    constexpr int kMaxStage = 20;
    for (int since = 1; since <= g_target.stage; ++since) {
        context.addFilter("test-suite", ("stage " + std::to_string(since) + "+").c_str());
        for (int until = g_target.stage; until <= kMaxStage; ++until) {
            context.addFilter("test-suite", ("stage " + std::to_string(since) + "-" +
                                             std::to_string(until)).c_str());
        }
    }
    std::string server = g_target.server_path;
    for (const std::string& arg : g_target.server_args) server += " " + arg;
    std::printf("black-box tests for stage %d against %s\n", g_target.stage, server.c_str());
    return context.run();
}
