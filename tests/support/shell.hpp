// The shell, from a test: quoting a word for it, and running a command.
#pragma once

#include <string>
#include <string_view>

// `word` quoted for the shell, if it needs quoting: for the command lines
// that a failing test prints for a learner to paste, and for the commands
// tests run.
std::string shell_quote(std::string_view word);

// Runs `command` with /bin/sh (popen(3)) and returns what it printed on
// stdout; its stderr goes where the test's goes.
std::string shell(const std::string& command);
