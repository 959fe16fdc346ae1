// Which stages a black-box test applies to.
//
// A test names the stage that introduced the behaviour it checks, and runs
// against that stage and every later one:
//
//     STAGE_TEST(2, "two requests on one connection are both answered") { ... }
//
// When a later stage deliberately changes a behaviour (stage 4 answers 414
// where stage 2 answered 400), the old test names its last stage too:
//
//     STAGE_RANGE_TEST(2, 3, "an overlong request line gets 400") { ... }
//
// Under the hood each test gets a doctest test suite, "stage 2+" or
// "stage 2-3", and the test runner's main() selects the suites that hold at
// the stage being tested (tests/blackbox/main.cpp).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#define STAGE_TEST(since, name) \
    TEST_CASE("stage " #since ": " name * doctest::test_suite("stage " #since "+"))

#define STAGE_RANGE_TEST(since, until, name)                                         \
    TEST_CASE("stages " #since "-" #until ": " name *                                \
              doctest::test_suite("stage " #since "-" #until))

// What the runner was asked to test.
struct TestTarget {
    int stage = 0;                         // --stage N
    std::string server_path;               // --server PATH
    std::vector<std::string> server_args;  // every --server-arg ARG, in order

    // Whether ARG is among the --server-arg flags (say, "--plain").
    bool has_server_arg(std::string_view arg) const {
        return std::find(server_args.begin(), server_args.end(), arg) != server_args.end();
    }
};
const TestTarget& test_target();
