// Small string helpers that HTTP code needs everywhere.
//
// HTTP is ASCII at heart: header names are case-insensitive (RFC 9110
// section 5.1), whitespace is only SP and HTAB (RFC 9110 section 5.6.3).
// These helpers deliberately ignore the C locale so that "Content-Length"
// compares the same way on every machine.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// 'A'..'Z' -> 'a'..'z'; every other byte unchanged.
char ascii_lower(char c);
std::string ascii_lower(std::string_view text);

// Case-insensitive ASCII comparison: iequals("Host", "HOST") is true.
bool iequals(std::string_view a, std::string_view b);

// Removes leading and trailing SP and HTAB ("optional whitespace", RFC 9110 5.6.3).
std::string_view trim_ows(std::string_view text);
// Removes leading SP and HTAB only: "  a b " -> "a b ".
std::string_view trim_leading_ows(std::string_view text);

// Splits on every occurrence of `separator`; "a,,b" gives {"a", "", "b"}.
std::vector<std::string_view> split(std::string_view text, char separator);

// A non-negative decimal number made only of digits 0-9, no sign, no spaces.
// Returns nothing for an empty string, other characters, or a value that
// does not fit in 64 bits (so "99999999999999999999" cannot wrap around).
std::optional<unsigned long long> parse_decimal(std::string_view text);

// The same for hexadecimal digits (either case), as in chunk sizes.
std::optional<unsigned long long> parse_hex(std::string_view text);

// Two hex digits per byte, lower case: "\x01\xab" -> "01ab".
std::string to_hex(std::string_view bytes);

// The address of a peer, "127.0.0.1:51234" or "[::1]:51234", without its
// port: each connection of one client has another port.
std::string_view address_without_port(std::string_view peer);

// Makes control bytes visible: "GET /\r\n" -> "GET /\\r\\n". For logs and
// test output, where a raw CR would hide half the line.
std::string escape_bytes(std::string_view bytes);
