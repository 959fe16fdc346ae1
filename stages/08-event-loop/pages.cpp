#include "pages.hpp"

#include "status_codes.hpp"

namespace {

// One small style sheet for every page, inline so a page is one request.
constexpr std::string_view kStyle = R"(<style>
  body { font: 18px/1.5 system-ui, sans-serif; max-width: 34em; margin: 3em auto; padding: 0 1em; color: #222; }
  h1 { font-size: 1.6em; }
  form { border: 1px solid #ccc; border-radius: 8px; padding: 1em 1.2em; margin: 1em 0; }
  label { display: block; margin: .4em 0; }
  input { font: inherit; padding: .3em .5em; width: 100%; box-sizing: border-box; }
  button { font: inherit; padding: .4em 1.2em; margin-top: .6em; cursor: pointer; }
  nav a { margin-right: 1em; }
  .note { color: #555; font-size: .9em; }
</style>)";

std::string document(std::string_view title, std::string_view body) {
    std::string html = "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">";
    html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
    html += "<title>" + html_escape(title) + "</title>\n";
    html += kStyle;
    html += "\n</head>\n<body>\n";
    html += body;
    html += "\n</body>\n</html>\n";
    return html;
}

HttpResponse html_response(int status, std::string html) {
    HttpResponse response;
    response.status = status;
    response.headers.add("Content-Type", "text/html; charset=utf-8");
    response.body = std::move(html);
    return response;
}

constexpr std::string_view kNav =
    R"(<nav><a href="/">Home</a><a href="/protected">Protected page</a><a href="/admin">Admin page</a></nav>)";

}  // namespace

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
    std::string body;
    if (session) {
        body += "<h1>Signed in as " + html_escape(session->username) + "</h1>\n";
        body += "<p>Role: " + html_escape(session->role) + "</p>\n";
        body += std::string(kNav) + "\n";
        body += R"(<form method="post" action="/logout"><button type="submit">Log out</button></form>)";
    } else {
        body += R"(<h1>Sign in</h1>
<form method="post" action="/login">
  <label>Username <input name="username" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
</form>
<p class="note">Demo users: alice / wonderland (admin), bob / builder.</p>
<h1>New here?</h1>
<form method="post" action="/register">
  <label>Username <input name="username" autocomplete="username" required></label>
  <label>Password (8 or more characters) <input name="password" type="password" autocomplete="new-password" required minlength="8"></label>
  <button type="submit">Create account</button>
</form>)";
    }
    HttpResponse response = html_response(200, document("Course server", body));
    // Who is signed in differs per client: no cache may keep this page.
    response.headers.add("Cache-Control", "no-store");
    return response;
}
// ANCHOR_END: home_page

HttpResponse message_page(const HttpRequest& request, int status, const std::string& message) {
    HttpResponse response;
    if (request.headers.get("Accept").find("text/html") != std::string_view::npos) {
        // A success says what happened; a failure leads with its status.
        const std::string status_line = std::to_string(status) + " " + std::string(reason_phrase(status));
        const std::string heading = status < 300 ? message : status_line;
        const std::string detail = status < 300 ? "" : "<p>" + html_escape(message) + "</p>\n";
        response = html_response(status, document(heading, "<h1>" + html_escape(heading) + "</h1>\n" +
                                                               detail + std::string(kNav)));
    } else {
        response = HttpResponse::text(status, message + "\n");
    }
    response.headers.add("Cache-Control", "no-store");
    return response;
}
