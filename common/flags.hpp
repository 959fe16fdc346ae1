// Command-line flags: --name VALUE or --name=VALUE.
//
// Every stage's server takes the same kind of command line (docs/course.md section 4):
//
//     Flags flags("server", "stage 1: a TCP echo server");
//     flags.add("--port", "PORT", "port to listen on (0 picks a free one)", port, 0, 65535);
//     flags.parse(argc, argv);
//
// An unknown flag or a bad value prints one line naming the flag, then the
// usage, and exits with status 2. --help prints the usage and exits 0.
#pragma once

#include <functional>
#include <string>
#include <vector>

class Flags {
public:
    Flags(std::string program, std::string summary);

    // A flag with a text value.
    void add(std::string name, std::string value_name, std::string help, std::string& target);
    // A flag with a whole-number value in [min, max].
    void add(std::string name, std::string value_name, std::string help, long& target, long min,
             long max);
    // A flag without a value: present means true.
    void add(std::string name, std::string help, bool& target);

    // Parses argv, filling the targets; exits the process on error or --help.
    void parse(int argc, char** argv) const;

    std::string usage() const;

private:
    struct Flag {
        std::string name;
        std::string value_name;  // empty for a flag without a value
        std::string help;
        std::string default_text;
        // Stores the value; returns an error message, empty on success.
        std::function<std::string(const std::string&)> set;
    };
    [[noreturn]] void fail(const std::string& message) const;

    std::string program_;
    std::string summary_;
    std::vector<Flag> flags_;
};
