// The HTML a browser sees, from files in the document root: index.html
// (the login page), account.html (who is signed in) and message.html (the
// answer to a form). The last two have slots, {{name}}, filled in per
// request. curl and scripts that do not ask for HTML get plain text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http_request.hpp"
#include "http_response.hpp"
#include "session_store.hpp"

// Reads the three pages from the folder `root`, once, before the server
// starts; throws std::runtime_error naming a page it cannot read.
void load_pages(const std::string& root);

// "<b>" -> "&lt;b&gt;": text from users must never become markup (XSS).
std::string html_escape(std::string_view text);

// GET /: the login and sign-up forms, or who is signed in and a log-out button.
HttpResponse home_page(const std::optional<Session>& session);

// An answer to a form or an API call: an HTML page with `message` and links
// back when the client asked for HTML (a browser's Accept header), else the
// message as plain text.
HttpResponse message_page(const HttpRequest& request, int status, const std::string& message);
