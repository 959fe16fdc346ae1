// The routes of sessions: GET / (the login page), POST /login, /logout and
// /register, GET /protected and /admin.
#pragma once

#include "rate_limiter.hpp"
#include "router.hpp"
#include "session_store.hpp"
#include "users.hpp"

// Password hashes a minute: per client address (logins and sign-ups; a good
// login is given back), and per account from all addresses. The second is
// far above the first: it takes five addresses to lock an account's owner
// out, while a botnet still gets no more than 30 guesses.
inline constexpr std::size_t kAttemptsPerClient = 6;
inline constexpr std::size_t kAttemptsPerAccount = 30;

struct AuthState {
    UserStore users;
    SessionStore sessions;
    RateLimiter attempts_by_client{kAttemptsPerClient};
    RateLimiter attempts_by_account{kAttemptsPerAccount};
};

// The handlers keep a reference to `state`, which must outlive the router.
// `scheme` ("http" with --plain) and the Host make our origin (RFC 6454).
void add_auth_routes(Router& router, AuthState& state, std::string_view scheme = "https");
