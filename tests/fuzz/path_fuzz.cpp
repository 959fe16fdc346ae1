// A libFuzzer target for the way a request's path reaches a file (stage 3
// on): percent-decoding and query strings (url.cpp), the router's
// {path...} wildcard, the path check and the kernel's check
// (static_files.cpp). Run it with `FUZZ_TARGET=path make fuzz`.
//
// A path that escapes the document root is a crash. Each input is used
// as the path of a request for /static/..., and:
//
//   - percent_decode never invents bytes: the result is no longer than its
//     input, holds no NUL, and encoding it again decodes back to it;
//   - QueryParams::parse never yields a NUL byte in a name or a value;
//   - the router hands the wildcard value over decoded, and it is a path
//     the check either refuses or keeps exactly;
//   - a path the check keeps is relative, has no empty, "." or ".." name
//     in the middle, no backslash, no NUL: it cannot climb;
//   - open_beneath, given the value WITHOUT the check, and with it, opens
//     nothing outside a real folder tree built for the run, whose symbolic
//     links point in and out of the root.
//
// A broken check prints what broke and aborts, which libFuzzer reports as a
// crash and saves the input that caused it.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "router.hpp"
#include "static_files.hpp"
#include "strings.hpp"
#include "url.hpp"

namespace {

[[noreturn]] void violated(const char* what, int line, std::string_view input) {
    std::fprintf(stderr, "path_fuzz: invariant violated (line %d): %s\n  input: %s\n", line, what,
                 escape_bytes(input).c_str());
    std::abort();
}

std::string_view g_input;  // for the report

// Like assert(), but never compiled out.
#define EXPECT(condition) ((condition) ? (void)0 : violated(#condition, __LINE__, g_input))

// A folder tree in /tmp, made once per run and removed at exit:
//
//   BASE/secret.txt                 BASE/outside/secret.txt
//   BASE/root/a.txt   BASE/root/sub/b.txt   BASE/root/sub/index.html
//   BASE/root/in      -> a.txt              (a link that stays inside)
//   BASE/root/up      -> ../secret.txt      (links that point out)
//   BASE/root/out     -> ../outside
//   BASE/root/sub/up2 -> ../../outside/secret.txt
//   BASE/root/abs     -> BASE/outside/secret.txt
struct Tree {
    std::string base;
    std::string root;
    Fd root_fd;
    Tree() {
        char dir[] = "/tmp/course-path-fuzz-XXXXXX";
        if (::mkdtemp(dir) == nullptr) std::abort();
        base = dir;
        root = base + "/root";
        ::mkdir(root.c_str(), 0755);
        ::mkdir((root + "/sub").c_str(), 0755);
        ::mkdir((base + "/outside").c_str(), 0755);
        std::ofstream(base + "/secret.txt") << "secret";
        std::ofstream(base + "/outside/secret.txt") << "secret";
        std::ofstream(root + "/a.txt") << "a";
        std::ofstream(root + "/sub/b.txt") << "b";
        std::ofstream(root + "/sub/index.html") << "index";
        const bool made = ::symlink("a.txt", (root + "/in").c_str()) == 0 &&
                          ::symlink("../secret.txt", (root + "/up").c_str()) == 0 &&
                          ::symlink("../outside", (root + "/out").c_str()) == 0 &&
                          ::symlink("../../outside/secret.txt", (root + "/sub/up2").c_str()) == 0 &&
                          ::symlink((base + "/outside/secret.txt").c_str(), (root + "/abs").c_str()) == 0;
        root_fd = open_root(root);
        if (!made || !root_fd.valid()) std::abort();
    }
    ~Tree() { std::system(("rm -rf '" + base + "'").c_str()); }
};

const Tree& tree() {
    static const Tree instance;  // destroyed at exit, removing the folder
    return instance;
}

// Where an open descriptor really points, from /proc/self/fd.
std::string real_path(const Fd& file) {
    char target[4096];
    const std::string link = "/proc/self/fd/" + std::to_string(file.get());
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

// Whatever open_beneath opens lies in the root (or is the root).
void check_opened(std::string_view path) {
    if (path.find('\0') != std::string_view::npos) return;  // no C string can hold it
    const Fd file = open_beneath(tree().root_fd.get(), std::string(path));
    if (!file.valid()) return;
    const std::string where = real_path(file);
    EXPECT(where == tree().root || where.starts_with(tree().root + "/"));
}

std::string percent_encode(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out += '%';
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
    }
    return out;
}

void check_decoding(std::string_view input) {
    for (const bool plus_is_space : {false, true}) {
        const std::optional<std::string> decoded = percent_decode(input, plus_is_space);
        if (!decoded) continue;
        EXPECT(decoded->size() <= input.size());
        EXPECT(decoded->find('\0') == std::string::npos);
        EXPECT(percent_decode(percent_encode(*decoded)) == decoded);
    }
    if (const std::optional<QueryParams> query = QueryParams::parse(input)) {
        for (const auto& [name, value] : *query) {
            EXPECT(name.find('\0') == std::string::npos);
            EXPECT(value.find('\0') == std::string::npos);
        }
    }
}

// A path the check keeps can never climb above the root, read name by name.
void check_kept(std::string_view value, const std::string& kept) {
    EXPECT(!kept.empty());
    EXPECT(kept == "." ? value.empty() : kept == value);
    EXPECT(kept.front() != '/');
    EXPECT(kept.find('\\') == std::string::npos);
    EXPECT(kept.find('\0') == std::string::npos);
    const std::vector<std::string_view> names = split(kept, '/');
    for (std::size_t i = 0; i < names.size(); ++i) {
        EXPECT(names[i] != "..");
        EXPECT(!names[i].starts_with('.') || kept == ".");
        EXPECT(!names[i].empty() || i + 1 == names.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    g_input = input;
    check_decoding(input);

    // The input as the path after "/static/", through the real router.
    Router router;
    std::optional<std::string> value;
    router.get("/static/{path...}", [&value](const HttpRequest& request) {
        value = request.path_params.at("path");
        return HttpResponse::text(200, "");
    });
    HttpRequest request;
    request.method = "GET";
    request.path = "/static/" + std::string(input);
    const HttpResponse response = router.handle(request);
    if (!value) {
        // Not routed: only a bad escape in a segment may stop it (400).
        EXPECT(response.status == 400);
        return 0;
    }

    // The kernel's check alone must hold, whatever the value.
    check_opened(*value);
    // And the path check, then the kernel's, as the server does.
    if (const std::optional<std::string> kept = safe_relative_path(*value)) {
        check_kept(*value, *kept);
        check_opened(*kept);
    }
    // The raw input, undecoded, as a path too.
    check_opened(input);
    if (const std::optional<std::string> kept = safe_relative_path(input)) check_kept(input, *kept);
    return 0;
}
