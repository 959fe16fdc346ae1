// Cookies and bearer tokens: how a client carries its session id.
//
// A browser gets the id once, in a Set-Cookie response header, and sends it
// back on every request to this site in a Cookie header (RFC 6265):
//
//     Set-Cookie: session_id=3f1c...; HttpOnly; SameSite=Strict; Path=/
//     Cookie: session_id=3f1c...; theme=dark
//
// The attributes are where the security is:
//   HttpOnly         scripts in the page cannot read the cookie, so a
//                    cross-site scripting bug cannot send it away
//                    (RFC 6265 section 4.1.2.6);
//   SameSite=Strict  the browser leaves the cookie off requests that
//                    another site starts, so a form on evil.example that
//                    posts to our /logout arrives without it: cross-site
//                    request forgery fails (draft-ietf-httpbis-rfc6265bis,
//                    section 4.1.2.7);
//   Path=/           sent with every path, not only those below the page
//                    that set it (RFC 6265 section 4.1.2.4).
// Stage 7 adds Secure: sent over HTTPS only.
//
// Programs that are not browsers (curl, scripts) may send the same id as
// `Authorization: Bearer ID` instead (RFC 6750 section 2.1).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

inline constexpr std::string_view kSessionCookieName = "session_id";

// The name=value pairs of a Cookie request header.
class Cookies {
public:
    // "a=1; b=2" -> {a: "1", b: "2"} (RFC 6265 section 5.4). Lenient, as a
    // server should be: pieces without '=' or without a name are skipped,
    // spaces around names and values are dropped, a value in double quotes
    // loses them. Values are opaque bytes: no percent-decoding.
    static Cookies parse(std::string_view header);

    // The value of the first cookie called `name` (names are
    // case-sensitive). A browser lists the cookie with the most specific
    // Path first (RFC 6265 section 5.4, step 2), so the first one wins.
    std::optional<std::string> get(std::string_view name) const;
    std::size_t size() const { return cookies_.size(); }

private:
    std::vector<std::pair<std::string, std::string>> cookies_;
};

// The Set-Cookie value that starts a session:
// "session_id=ID; HttpOnly; SameSite=Strict; Path=/". No Max-Age or
// Expires: the browser forgets the cookie when it closes, and the server
// forgets the session after its idle time, whichever comes first.
// `secure` adds "; Secure": the browser then sends the cookie over HTTPS
// only, never in the clear (RFC 6265 section 4.1.2.5).
std::string session_cookie(std::string_view id, bool secure = false);

// The Set-Cookie value that ends it: the same cookie, empty, with
// Max-Age=0, which tells the browser to delete it at once (RFC 6265
// section 5.2.2). Name, Path and the rest must match the cookie to replace.
std::string cleared_session_cookie(bool secure = false);

// The token of an "Authorization: Bearer TOKEN" header value, or nothing
// if the header is absent, has another scheme ("Basic ...") or a token
// with characters RFC 6750 section 2.1 does not allow. The scheme name is
// case-insensitive (RFC 9110 section 11.1): "bearer" works too.
std::optional<std::string> bearer_token(std::string_view authorization);
