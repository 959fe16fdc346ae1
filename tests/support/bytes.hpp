// Showing bytes in a failing test: escaped, bounded, and whole.
//
// A test that fails on a megabyte must not print two megabytes, and a test
// that fails on binary data must not stop printing at its first NUL byte
// (doctest shows a std::string through c_str()). So tests show bytes
// through show_bytes(), and compare byte strings with CHECK_BYTES:
//
//     CHECK_BYTES(client.received(), message);
//
// which, when they differ, prints both lengths, the offset of the first
// difference, and each side from a little before it, about 2 KB at most.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

// How much of one value a failure shows, in escaped characters: enough for
// a request or response head and the start of its body.
inline constexpr std::size_t kShownChars = 2048;

// `bytes` escaped as escape_bytes() does ("\r\n", "\x00"), from offset
// `from` on, cut after about `limit` characters. What is left out is said:
// "[1000 bytes before] ..." and "... [2 more bytes]".
std::string show_bytes(std::string_view bytes, std::size_t from = 0,
                       std::size_t limit = kShownChars);

// Where two byte strings differ, for a failure message: their lengths, the
// offset of the first difference, and both sides from shortly before it.
// "" when they are equal.
std::string describe_difference(std::string_view actual, std::string_view expected);

// Byte equality, as a function: doctest then prints describe_difference()
// instead of the two strings.
inline bool same_bytes(std::string_view actual, std::string_view expected) {
    return actual == expected;
}

#define CHECK_BYTES(actual, expected) \
    CHECK_MESSAGE(same_bytes((actual), (expected)), describe_difference((actual), (expected)))
#define REQUIRE_BYTES(actual, expected) \
    REQUIRE_MESSAGE(same_bytes((actual), (expected)), describe_difference((actual), (expected)))
