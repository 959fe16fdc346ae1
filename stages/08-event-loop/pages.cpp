#include "pages.hpp"

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "status_codes.hpp"

namespace {

// Read at start-up, before any thread runs, and never written again: every
// thread may read them.
struct Pages {
    std::string login, account, message;
} g_pages;

std::string read_page(const std::string& root, const std::string& name) {
    std::ifstream file(root + "/" + name, std::ios::binary);
    std::ostringstream page;
    page << file.rdbuf();
    if (!file) throw std::runtime_error("cannot read " + root + "/" + name);
    return page.str();
}

// ANCHOR: fill
// The page with each {{name}} replaced by its value, HTML-escaped. One
// pass: a value that holds "{{role}}" stays text, it is not filled again.
std::string fill(std::string_view page, const std::map<std::string_view, std::string_view>& values) {
    std::string out;
    std::size_t open;
    while ((open = page.find("{{")) != std::string_view::npos && page.find("}}", open) != std::string_view::npos) {
        const std::size_t close = page.find("}}", open);
        const auto value = values.find(page.substr(open + 2, close - open - 2));
        out += page.substr(0, open);
        out += value == values.end() ? std::string(page.substr(open, close + 2 - open)) : html_escape(value->second);
        page.remove_prefix(close + 2);
    }
    return out + std::string(page);
}
// ANCHOR_END: fill

HttpResponse html_page(int status, std::string html) {
    HttpResponse response;
    response.status = status;
    response.headers.add("Content-Type", "text/html; charset=utf-8");
    // Who is signed in differs per client: no cache may keep this page.
    response.headers.add("Cache-Control", "no-store");
    response.body = std::move(html);
    return response;
}

}  // namespace

void load_pages(const std::string& root) {
    g_pages = {read_page(root, "index.html"), read_page(root, "account.html"), read_page(root, "message.html")};
}

std::string html_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// ANCHOR: home_page
HttpResponse home_page(const std::optional<Session>& session) {
    if (!session) return html_page(200, g_pages.login);
    return html_page(200, fill(g_pages.account, {{"username", session->username}, {"role", session->role}}));
}
// ANCHOR_END: home_page

HttpResponse message_page(const HttpRequest& request, int status, const std::string& message) {
    if (request.headers.get("Accept").find("text/html") == std::string_view::npos) {
        HttpResponse response = HttpResponse::text(status, message + "\n");
        response.headers.add("Cache-Control", "no-store");
        return response;
    }
    // A success says what happened; a failure leads with its status.
    const std::string status_line = std::to_string(status) + " " + std::string(reason_phrase(status));
    const bool ok = status < 300;
    return html_page(status, fill(g_pages.message, {{"heading", ok ? message : status_line}, {"detail", ok ? "" : message}}));
}
