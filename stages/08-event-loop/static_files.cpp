#include "static_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>  // struct open_how, RESOLVE_BENEATH
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <utility>
#include <vector>

#include "conditional.hpp"
#include "http_date.hpp"
#include "log.hpp"
#include "strings.hpp"

namespace {

// The common web types (IANA's registry; RFC 9239 for JavaScript). Text
// says its charset, or the browser has to guess one.
constexpr std::pair<std::string_view, std::string_view> kMediaTypes[] = {
    {"html", "text/html; charset=utf-8"}, {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"}, {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json; charset=utf-8"}, {"txt", "text/plain; charset=utf-8"},
    {"svg", "image/svg+xml"}, {"png", "image/png"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
    {"gif", "image/gif"}, {"webp", "image/webp"}, {"ico", "image/vnd.microsoft.icon"},
    {"wasm", "application/wasm"}, {"woff2", "font/woff2"}, {"pdf", "application/pdf"},
    {"mp4", "video/mp4"},
};

// O_NONBLOCK: opening a FIFO (named pipe) would wait for a writer; regular
// files ignore the flag, and a FIFO is then refused as no regular file.
constexpr int kOpenFlags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;

HttpResponse not_found(const HttpRequest& request) {
    return HttpResponse::error(404, "no file at " + request.path);
}

// At /static/docs, the links of docs/index.html ("a.css") would resolve
// against /static/. 301 sends the browser to /static/docs/: every client
// knows it (308 would also keep a POST a POST: RFC 9110 section 15.4).
HttpResponse redirect_to_folder(const HttpRequest& request) {
    std::string location = request.path + "/";
    if (!request.query.empty()) location += "?" + request.query;
    HttpResponse response = HttpResponse::error(301, location);
    response.headers.add("Location", location);
    return response;
}

// Strong: the size and the modification time, to the nanosecond, change
// with every write. No inode, so copies on two servers agree. "-gz" keeps
// the gzip variant's tag its own (RFC 9110 section 8.8.3).
std::string file_etag(const struct stat& info, bool gzipped) {
    const long long nanoseconds = info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec;
    return "\"" + std::to_string(info.st_size) + "-" + std::to_string(nanoseconds) + (gzipped ? "-gz\"" : "\"");
}

// fstat(), not stat(): the metadata of the very file opened and sent.
Fd open_file(int folder, const std::string& path, struct stat& info) {
    Fd file = open_beneath(folder, path);
    if (file.valid() && ::fstat(file.get(), &info) != 0) file.reset();
    return file;
}

}  // namespace

Fd open_root(const std::string& path) {
    // O_PATH: a handle to start paths from; nothing is read through it.
    return Fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

// ANCHOR: safe_relative_path
std::optional<std::string> safe_relative_path(std::string_view path) {
    if (path.empty()) return ".";
    // A backslash separates names on Windows. A NUL byte ends a C string:
    // "a.txt\0.png" would open "a.txt".
    if (path.find_first_of(std::string_view("\\\0", 2)) != std::string_view::npos) return std::nullopt;
    const std::vector<std::string_view> names = split(path, '/');
    for (std::size_t i = 0; i < names.size(); ++i) {
        // Empty: "a//b", or "/etc", absolute; only "docs/" may end in one.
        // A dot first: "..", which climbs, ".", or hidden files (.git, .env).
        const bool last = i + 1 == names.size();
        if ((names[i].empty() && !last) || names[i].starts_with('.')) return std::nullopt;
    }
    return std::string(path);
}
// ANCHOR_END: safe_relative_path

// ANCHOR: open_beneath
// Checking a path, then opening it, leaves a gap in which a name can become
// a symbolic link out of the root (TOCTOU). openat2(2) leaves none: with
// RESOLVE_BENEATH the kernel refuses (EXDEV), as it opens, any step, ".."
// or link, that would leave `root`. Links that stay inside still work.
Fd open_beneath(int root, const std::string& path) {
    open_how how{};
    how.flags = kOpenFlags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    // glibc 2.36 has no openat2() function yet: we ask the kernel directly.
    const long fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
    // Linux before 5.6 has none (ENOSYS): then no file, rather than unsafely.
    if (fd < 0 && errno == ENOSYS) log_line("openat2(2) is missing (Linux 5.6+): no file can be served");
    return Fd(static_cast<int>(fd));
}
// ANCHOR_END: open_beneath

// "gzip, br;q=0.5" (RFC 9110 section 12.5.3): q=0 refuses a coding, "*"
// stands for every coding not named, and one not named is not wanted.
bool accepts_gzip(const Headers& headers) {
    bool any = false;
    for (std::string_view field : headers.all("Accept-Encoding")) {
        for (std::string_view item : split(field, ',')) {
            const std::vector<std::string_view> parts = split(item, ';');
            const std::string_view coding = trim_ows(parts[0]);
            const std::string_view q = parts.size() > 1 ? trim_ows(parts[1]) : "";
            const bool refused = iequals(q.substr(0, 2), "q=") && q.find_first_not_of("0.", 2) == std::string_view::npos;
            if (iequals(coding, "gzip")) return !refused;
            if (coding == "*") any = !refused;
        }
    }
    return any;
}

std::string_view content_type(std::string_view name) {
    name = name.substr(name.rfind('/') + 1);  // npos + 1 == 0: the whole name
    const std::size_t dot = name.rfind('.');
    const std::string_view extension = dot == std::string_view::npos ? "" : name.substr(dot + 1);
    for (const auto& [known, type] : kMediaTypes) {
        if (iequals(known, extension)) return type;
    }
    return "application/octet-stream";  // "some bytes": a browser saves them
}

HttpResponse serve_static(int root, const HttpRequest& request) {
    const std::optional<std::string> path = safe_relative_path(request.path_params.at("path"));
    if (!path) return not_found(request);
    return serve_file(root, *path, request);
}

// ANCHOR: serve_file
HttpResponse serve_file(int root, const std::string& path, const HttpRequest& request) {
    struct stat info {};
    Fd file = open_file(root, path, info);
    Fd folder;  // when `path` is a folder: it, and we send its index.html
    std::string name = path;
    if (file.valid() && S_ISDIR(info.st_mode)) {
        if (!request.path.ends_with('/')) return redirect_to_folder(request);
        folder = std::move(file);
        name = "index.html";
        file = open_file(folder.get(), name, info);
    }
    // Regular files only: no folder listings, no FIFOs, no devices.
    if (!file.valid() || !S_ISREG(info.st_mode)) return not_found(request);
    // "site.css.gz" beside "site.css": compressed ahead of time, by make; a
    // copy older than its file is stale.
    struct stat gzip_info {};
    const int dir = folder.valid() ? folder.get() : root;
    Fd gzip = accepts_gzip(request.headers) ? open_file(dir, name + ".gz", gzip_info) : Fd();
    const bool gzipped = gzip.valid() && S_ISREG(gzip_info.st_mode) && gzip_info.st_mtime >= info.st_mtime;
    if (gzipped) {
        file = std::move(gzip);
        info = gzip_info;
    }

    HttpResponse response;
    response.headers.add("Content-Type", std::string(content_type(name)));
    if (gzipped) response.headers.add("Content-Encoding", "gzip");
    // Caches must keep the variants apart (RFC 9110 section 12.5.5).
    response.headers.add("Vary", "Accept-Encoding");
    response.headers.add("Last-Modified", http_date(info.st_mtime));
    response.headers.add("ETag", file_etag(info, gzipped));
    // Keep it, but ask each time: edits show at once, and cost one 304.
    response.headers.add("Cache-Control", "no-cache");
    response.headers.add("Accept-Ranges", "bytes");
    const auto size = static_cast<std::uint64_t>(info.st_size);
    response.file = FileBody{std::make_shared<const Fd>(std::move(file)), 0, size};
    return answer_conditionally(request, std::move(response));
}
// ANCHOR_END: serve_file
