// Static files: GET /static/{path...} from one folder, the document root
// (--root), and never from outside it. Two checks stand between the
// client's path and the disk: safe_relative_path() refuses names that
// climb, and open_beneath() has the kernel refuse any step out. Refused is
// 404, as missing is: the answer never tells what exists outside.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "fd.hpp"
#include "http_request.hpp"
#include "http_response.hpp"

// Opens the document root, once; an invalid Fd (errno set) if it cannot.
Fd open_root(const std::string& path);

// The path to open for a decoded {path...} value ("css/site.css"), or
// nothing if it holds a backslash, a NUL byte, an empty name ("a//b",
// "/etc") or a name that begins with a dot ("..", ".git"). "" gives ".".
std::optional<std::string> safe_relative_path(std::string_view path);

// Opens `path` read-only if every step to it stays beneath the folder
// `root`; an invalid Fd when refused or missing.
Fd open_beneath(int root, const std::string& path);

// "text/css; charset=utf-8" for "site.css"; application/octet-stream for an
// extension not in the table.
std::string_view content_type(std::string_view name);

// Whether the request's Accept-Encoding takes gzip.
bool accepts_gzip(const Headers& headers);

// GET /static/{path...}: the file, a folder's index.html, a redirect from
// "dir" to "dir/", or 404.
HttpResponse serve_static(int root, const HttpRequest& request);

// The file at `path` under `root`, a path known to be safe ("index.html").
HttpResponse serve_file(int root, const std::string& path, const HttpRequest& request);
