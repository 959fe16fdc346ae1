#include "auth.hpp"

#include "url.hpp"

namespace {

using std::chrono::seconds;

constexpr std::string_view kCookieName = "session_id";
// Every 401 names a scheme that would work (RFC 9110 section 11.6.1).
constexpr std::string_view kChallenge = "Bearer realm=\"course\"";

// ANCHOR: set_cookie
// HttpOnly: scripts in the page cannot read it. SameSite=Strict: requests
// that other sites start go without it. No Max-Age: the browser forgets it
// when it closes; Max-Age=0 deletes it now (RFC 6265 section 4.1.2).
// Secure, over HTTPS: the browser then never sends it in the clear
// (section 4.1.2.5).
std::string session_cookie(std::string_view id, std::string_view scheme) {
    return std::string(kCookieName) + "=" + std::string(id) +
           "; HttpOnly; SameSite=Strict; Path=/" + (scheme == "https" ? "; Secure" : "");
}
// ANCHOR_END: set_cookie

// The one place that finds the session id a request carries: a script's
// "Authorization: Bearer ID" (RFC 6750 section 2.1), else the cookie a
// browser sends back, "Cookie: a=1; session_id=ID" (RFC 6265 section 5.4).
std::optional<std::string> session_id(const HttpRequest& request) {
    const std::string_view authorization = trim_ows(request.headers.get("Authorization"));
    if (authorization.size() > 7 && iequals(authorization.substr(0, 7), "Bearer ")) {
        return std::string(trim_ows(authorization.substr(7)));
    }
    for (const std::string_view cookie : split(request.headers.get("Cookie"), ';')) {
        const std::size_t equals = cookie.find('=');
        if (equals != std::string_view::npos && trim_ows(cookie.substr(0, equals)) == kCookieName) {
            return std::string(trim_ows(cookie.substr(equals + 1)));
        }
    }
    return std::nullopt;
}

// Every answer here depends on who asks: no cache may keep it (RFC 9111 section 5.2.2.5).
HttpResponse answer(int status, const std::string& message) {
    HttpResponse response = HttpResponse::text(status, message + "\n");
    response.headers.add("Cache-Control", "no-store");
    return response;
}

HttpResponse unauthorized(const std::string& message) {
    HttpResponse response = answer(401, message);
    response.headers.add("WWW-Authenticate", std::string(kChallenge));
    return response;
}

HttpResponse too_many_attempts(seconds wait) {
    HttpResponse response = answer(429, "too many attempts; try again later");
    response.headers.add("Retry-After", std::to_string(wait.count()));
    return response;
}

// A form's fields: a=1&b=2, as in a query string. 415 for another type.
std::optional<HttpResponse> read_form(const HttpRequest& request, QueryParams& form) {
    const std::string_view type = trim_ows(split(request.headers.get("Content-Type"), ';').front());
    if (!iequals(type, "application/x-www-form-urlencoded")) {
        return answer(415, "send the form as application/x-www-form-urlencoded");
    }
    std::optional<QueryParams> parsed = QueryParams::parse(request.body);
    if (!parsed) return answer(400, "the form is not correctly encoded");
    if (!parsed->has("username") || !parsed->has("password")) {
        return answer(400, "the form needs a username and a password");
    }
    form = std::move(*parsed);
    return std::nullopt;
}

HttpResponse login(AuthState& state, const HttpRequest& request) {
    QueryParams form;
    if (auto refused = read_form(request, form)) return *refused;
    const std::string username = form.get("username");

    // Counted before the hash, so that a refusal costs nothing: per address
    // (one client guessing, or trying one password on many accounts) and
    // per account (many addresses guessing one).
    const std::string client(address_without_port(request.client));
    const std::string account = ascii_lower(username);
    seconds wait = state.attempts_by_client.attempt(client);
    if (wait == seconds(0)) wait = state.attempts_by_account.attempt(account);
    if (wait > seconds(0)) return too_many_attempts(wait);

    const std::optional<User> user = state.users.authenticate(username, form.get("password"));
    // The same answer for an unknown name and a wrong password.
    if (!user) return unauthorized("wrong username or password");
    state.attempts_by_client.forgive(client);  // whoever knows the password was not guessing
    state.attempts_by_account.forgive(account);

    // A new id at every login, and the session the browser came with ends:
    // an id planted before the login is worth nothing after it (fixation).
    if (auto old = session_id(request)) state.sessions.remove(*old);
    const std::string id = state.sessions.create(user->name, user->role);
    HttpResponse response = answer(200, "logged in as " + user->name);
    response.headers.add("Set-Cookie", session_cookie(id, state.scheme));
    return response;
}

HttpResponse logout(AuthState& state, const HttpRequest& request) {
    const std::optional<std::string> id = session_id(request);
    if (!id || !state.sessions.find(*id)) return unauthorized("you are not logged in");
    state.sessions.remove(*id);
    HttpResponse response = answer(200, "logged out");
    response.headers.add("Set-Cookie", session_cookie("", state.scheme) + "; Max-Age=0");
    return response;
}

// GET /protected, and GET /admin when `admins_only`. 401 means "we do not
// know who you are"; 403 means "we know, and no".
HttpResponse members_page(AuthState& state, const HttpRequest& request, bool admins_only) {
    const std::optional<std::string> id = session_id(request);
    const std::optional<Session> session = id ? state.sessions.find(*id) : std::nullopt;
    if (!session) return unauthorized("log in to see this page");
    if (admins_only && session->role != kRoleAdmin) return answer(403, session->username + " is not an admin");
    return answer(200, "Hello, " + session->username +
                           (admins_only ? ". You are an admin." : "! Only signed-in users see this."));
}

HttpResponse register_user(AuthState& state, const HttpRequest& request) {
    QueryParams form;
    if (auto refused = read_form(request, form)) return *refused;
    // An account costs a hash, as a login does: the same budget.
    const seconds wait = state.attempts_by_client.attempt(address_without_port(request.client));
    if (wait > seconds(0)) return too_many_attempts(wait);
    const std::string username = form.get("username");
    const AddResult result = state.users.add(username, form.get("password"));
    if (result == AddResult::NameTaken) return answer(409, "the name " + username + " is taken");
    if (result == AddResult::Invalid) return answer(400, account_rules());
    return answer(201, "created the account " + username + "; you can log in now");
}

// Whether a browser sent this request for a page of another site. A form
// there can POST here, and a forged login *sets* the cookie, so SameSite
// cannot stop it. Browsers name the request's source: Sec-Fetch-Site, and
// Origin (RFC 6454 section 7), ours being our scheme and the Host the
// browser asked for. A request with neither comes from no browser.
bool cross_site(const HttpRequest& request, std::string_view scheme) {
    const std::string_view site = request.headers.get("Sec-Fetch-Site");
    if (!site.empty() && site != "same-origin" && site != "none") return true;
    const std::string_view origin = request.headers.get("Origin");
    const std::string own = std::string(scheme) + "://" + std::string(request.headers.get("Host"));
    return !origin.empty() && !iequals(origin, own);
}

// Every route here refuses a POST from another site.
RouteHandler guarded(const AuthState& state, RouteHandler handler) {
    return [&state, handler = std::move(handler)](const HttpRequest& request) {
        if (request.method == "POST" && cross_site(request, state.scheme)) {
            return answer(403, "refused: the form was sent from another site");
        }
        return handler(request);
    };
}

}  // namespace

void add_auth_routes(Router& router, AuthState& state) {
    const auto add = [&router, &state](const char* method, const char* path, RouteHandler handler) {
        router.add({method}, path, guarded(state, std::move(handler)));
    };
    add("POST", "/login", [&state](const HttpRequest& r) { return login(state, r); });
    add("POST", "/logout", [&state](const HttpRequest& r) { return logout(state, r); });
    add("GET", "/protected", [&state](const HttpRequest& r) { return members_page(state, r, false); });
    add("GET", "/admin", [&state](const HttpRequest& r) { return members_page(state, r, true); });
    add("POST", "/register", [&state](const HttpRequest& r) { return register_user(state, r); });
}
