#include "auth.hpp"

#include <algorithm>

#include "cookies.hpp"
#include "pages.hpp"
#include "url.hpp"

namespace {

// The scheme to name in WWW-Authenticate, which every 401 must carry
// (RFC 9110 section 11.6.1): we accept bearer tokens (RFC 6750).
constexpr std::string_view kChallenge = "Bearer realm=\"course\"";

// ANCHOR: current_session
// The session this request belongs to, if any: from "Authorization: Bearer
// ID", else from the session_id cookie.
std::optional<Session> current_session(AuthState& state, const HttpRequest& request) {
    std::optional<std::string> id = bearer_token(request.headers.get("Authorization"));
    if (!id) id = Cookies::parse(request.headers.get("Cookie")).get(kSessionCookieName);
    if (!id) return std::nullopt;
    return state.sessions.find(*id);
}
// ANCHOR_END: current_session

HttpResponse unauthorized(const HttpRequest& request, const std::string& message) {
    HttpResponse response = message_page(request, 401, message);
    response.headers.add("WWW-Authenticate", std::string(kChallenge));
    return response;
}

// ANCHOR: read_form
// The fields of an HTML form's body. Forms are sent as
// application/x-www-form-urlencoded: the same a=1&b=2 as a query string.
// Any other type gets 415; a body that does not decode gets 400.
std::optional<HttpResponse> read_form(const HttpRequest& request, QueryParams& form) {
    const std::string_view type = trim_ows(split(request.headers.get("Content-Type"), ';').front());
    if (!iequals(type, "application/x-www-form-urlencoded")) {
        return message_page(request, 415, "send the form as application/x-www-form-urlencoded");
    }
    std::optional<QueryParams> parsed = QueryParams::parse(request.body);
    if (!parsed) return message_page(request, 400, "the form is not correctly encoded");
    if (!parsed->has("username") || !parsed->has("password")) {
        return message_page(request, 400, "the form needs a username and a password");
    }
    form = std::move(*parsed);
    return std::nullopt;
}
// ANCHOR_END: read_form

// ANCHOR: login
HttpResponse login(AuthState& state, const HttpRequest& request) {
    QueryParams form;
    if (auto refused = read_form(request, form)) return *refused;
    const std::string username = form.get("username");

    // Too many failures from this address, or against this account: refuse
    // before hashing anything. Limiting both stops one client guessing many
    // accounts and many clients guessing one account.
    const std::string client = std::string(peer_address(request.client));
    const std::string account = ascii_lower(username);
    if (state.failures_by_client.blocked(client) || state.failures_by_user.blocked(account)) {
        const auto wait = std::max(state.failures_by_client.retry_after(client),
                                   state.failures_by_user.retry_after(account));
        HttpResponse response = message_page(request, 429, "too many failed logins; try again later");
        response.headers.add("Retry-After", std::to_string(wait.count()));
        return response;
    }

    const std::optional<User> user = state.users.authenticate(username, form.get("password"));
    if (!user) {
        state.failures_by_client.record_failure(client);
        state.failures_by_user.record_failure(account);
        // The same answer for an unknown name and a wrong password.
        return unauthorized(request, "wrong username or password");
    }
    // Whoever knows the password is no attacker of this account. (Not the
    // client's record: anyone can register an account and log in with it.)
    state.failures_by_user.reset(account);

    // A new id at every login, and the old session (if any) ended: an id
    // planted in the browser before login is worth nothing after it
    // ("session fixation").
    if (auto old = Cookies::parse(request.headers.get("Cookie")).get(kSessionCookieName)) {
        state.sessions.remove(*old);
    }
    const std::string id = state.sessions.create(user->name, user->role);
    HttpResponse response = message_page(request, 200, "logged in as " + user->name);
    // Stage 7 serves only HTTPS, so the cookie may say Secure.
    response.headers.add("Set-Cookie", session_cookie(id, /*secure=*/true));
    return response;
}
// ANCHOR_END: login

// ANCHOR: logout
HttpResponse logout(AuthState& state, const HttpRequest& request) {
    std::optional<std::string> id = bearer_token(request.headers.get("Authorization"));
    if (!id) id = Cookies::parse(request.headers.get("Cookie")).get(kSessionCookieName);
    // find() first: an expired session still in the store is no session.
    if (!id || !state.sessions.find(*id)) return unauthorized(request, "you are not logged in");
    state.sessions.remove(*id);
    HttpResponse response = message_page(request, 200, "logged out");
    response.headers.add("Set-Cookie", cleared_session_cookie(/*secure=*/true));
    return response;
}
// ANCHOR_END: logout

// ANCHOR: protected
HttpResponse protected_page(AuthState& state, const HttpRequest& request) {
    const std::optional<Session> session = current_session(state, request);
    if (!session) return unauthorized(request, "log in to see this page");
    return message_page(request, 200, "Hello, " + session->username + "! Only signed-in users see this.");
}

HttpResponse admin_page(AuthState& state, const HttpRequest& request) {
    const std::optional<Session> session = current_session(state, request);
    if (!session) return unauthorized(request, "log in to see this page");
    // 401 means "we do not know who you are"; 403 means "we know, and no".
    if (session->role != kRoleAdmin) return message_page(request, 403, session->username + " is not an admin");
    return message_page(request, 200, "Hello, " + session->username + ". You are an admin.");
}
// ANCHOR_END: protected

// ANCHOR: register
HttpResponse register_user(AuthState& state, const HttpRequest& request) {
    QueryParams form;
    if (auto refused = read_form(request, form)) return *refused;
    const std::string username = form.get("username");
    switch (state.users.add(username, form.get("password"))) {
        case AddResult::Added:
            return message_page(request, 201, "created the account " + username + "; you can log in now");
        case AddResult::NameTaken:
            return message_page(request, 409, "the name " + username + " is taken");
        case AddResult::BadName:
            return message_page(request, 400, "a username is " + std::string(kUsernameRule));
        case AddResult::BadPassword:
            return message_page(request, 400, "a password is 8 to 128 bytes long");
        case AddResult::TooManyUsers:
            break;
    }
    return message_page(request, 503, "no more accounts can be created");
}
// ANCHOR_END: register

}  // namespace

// ANCHOR: add_auth_routes
void add_auth_routes(Router& router, AuthState& state) {
    router.get("/", [&state](const HttpRequest& r) { return home_page(current_session(state, r)); });
    router.post("/login", [&state](const HttpRequest& r) { return login(state, r); });
    router.post("/logout", [&state](const HttpRequest& r) { return logout(state, r); });
    router.get("/protected", [&state](const HttpRequest& r) { return protected_page(state, r); });
    router.get("/admin", [&state](const HttpRequest& r) { return admin_page(state, r); });
    router.post("/register", [&state](const HttpRequest& r) { return register_user(state, r); });
}
// ANCHOR_END: add_auth_routes
