// TempFolder: a fresh folder under /tmp for one test, removed with
// everything in it when the test ends, passed or failed.
//
//     const TempFolder folder("users");           // /tmp/course-users-XXXXXX
//     std::ofstream(folder.file("users.txt")) << line;
//
// Header-only, so that unit tests can use it as well as black-box tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "errors.hpp"

class TempFolder {
public:
    // `name` goes into the folder's name, to tell whose folder is left
    // behind if a test is killed.
    explicit TempFolder(std::string_view name = "test") {
        std::string pattern = "/tmp/course-" + std::string(name) + "-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp " + pattern);
        path_ = pattern;
    }
    ~TempFolder() {
        std::error_code ignored;  // a destructor must not throw
        std::filesystem::remove_all(path_, ignored);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;

    const std::string& path() const { return path_; }
    // The path of `name` inside the folder (nothing is made).
    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

private:
    std::string path_;
};
