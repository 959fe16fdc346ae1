// The black-box test runner.
//
//     blackbox_tests --stage N --server PATH [doctest options]
//
// runs every test that holds at stage N (see tests/support/stage_test.hpp)
// against the server binary at PATH: the course's own build/stageN/server,
// or a learner's workspace build (make check N=...).
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
        } else {
            doctest_args.push_back(argv[i]);
        }
    }
    if (g_target.stage < 1 || g_target.server_path.empty()) {
        std::fprintf(stderr, "usage: %s --stage N --server PATH [doctest options]\n", argv[0]);
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
    std::printf("black-box tests for stage %d against %s\n", g_target.stage,
                g_target.server_path.c_str());
    return context.run();
}
