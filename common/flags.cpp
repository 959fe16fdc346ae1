#include "flags.hpp"

#include <cstdio>
#include <cstdlib>

#include "strings.hpp"

Flags::Flags(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void Flags::add(std::string name, std::string value_name, std::string help, std::string& target) {
    std::string default_text = target.empty() ? "" : target;
    flags_.push_back({std::move(name), std::move(value_name), std::move(help),
                      std::move(default_text), [&target](const std::string& value) {
                          target = value;
                          return std::string();
                      }});
}

void Flags::add(std::string name, std::string value_name, std::string help, long& target,
                long min, long max) {
    // A starting value outside the range means "not given" (--redirect-port's -1): no default to show.
    std::string default_text = target < min || target > max ? "" : std::to_string(target);
    flags_.push_back({std::move(name), std::move(value_name), std::move(help),
                      std::move(default_text), [&target, min, max](const std::string& value) {
                          const auto number = parse_decimal(value);
                          if (!number || *number < static_cast<unsigned long long>(min) ||
                              *number > static_cast<unsigned long long>(max)) {
                              return "expected a whole number from " + std::to_string(min) +
                                     " to " + std::to_string(max) + ", got '" + value + "'";
                          }
                          target = static_cast<long>(*number);
                          return std::string();
                      }});
}

void Flags::add(std::string name, std::string help, bool& target) {
    flags_.push_back({std::move(name), "", std::move(help), "", [&target](const std::string&) {
                          target = true;
                          return std::string();
                      }});
}

void Flags::parse(int argc, char** argv) const {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage().c_str(), stdout);
            std::exit(0);
        }
        std::string value;
        bool has_inline_value = false;
        if (const auto eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
            has_inline_value = true;
        }

        const Flag* flag = nullptr;
        for (const Flag& candidate : flags_) {
            if (candidate.name == arg) flag = &candidate;
        }
        if (flag == nullptr) fail("unknown flag " + arg);

        if (flag->value_name.empty()) {
            if (has_inline_value) fail(arg + " takes no value");
        } else if (!has_inline_value) {
            if (i + 1 >= argc) fail(arg + " needs a value (" + flag->value_name + ")");
            value = argv[++i];
        }
        if (std::string error = flag->set(value); !error.empty()) fail(arg + ": " + error);
    }
}

std::string Flags::usage() const {
    std::string text = "usage: " + program_;
    for (const Flag& flag : flags_) {
        text += " [" + flag.name + (flag.value_name.empty() ? "" : " " + flag.value_name) + "]";
    }
    text += "\n" + summary_ + "\n\n";
    for (const Flag& flag : flags_) {
        std::string left = "  " + flag.name + (flag.value_name.empty() ? "" : " " + flag.value_name);
        if (left.size() < 26) left.resize(26, ' ');
        text += left + " " + flag.help;
        if (!flag.default_text.empty()) text += " (default " + flag.default_text + ")";
        text += "\n";
    }
    return text;
}

void Flags::fail(const std::string& message) const {
    std::fprintf(stderr, "%s: %s\n%s", program_.c_str(), message.c_str(), usage().c_str());
    std::exit(2);
}
