// The routes of sessions: POST /login, /logout and /register, GET
// /protected and /admin. Their answers are plain text, for curl and
// scripts; a browser gets there from the forms of public/index.html.
#pragma once

#include <string>

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
    // How clients reach us, "http" or "https" (the server says which): with
    // the Host, our origin (RFC 6454), which a form's Origin must match.
    std::string scheme = "http";
};

// The handlers keep a reference to `state`, which must outlive the router.
void add_auth_routes(Router& router, AuthState& state);
