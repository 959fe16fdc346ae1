// The routes of sessions: GET / (the login page), POST /login, /logout and
// /register, GET /protected and /admin.
#pragma once

#include "rate_limiter.hpp"
#include "router.hpp"
#include "session_store.hpp"
#include "users.hpp"

// Password hashes one client address may cause a minute, logins and sign-ups
// together; a login that succeeds is given back.
inline constexpr std::size_t kAttemptsPerClient = 6;
// Logins one account may see a minute, from all addresses. Far above one
// client's share, so that it takes five addresses to lock its owner out,
// while a botnet still gets no more than this many guesses.
inline constexpr std::size_t kAttemptsPerAccount = 30;

struct AuthState {
    UserStore users;
    SessionStore sessions;
    RateLimiter attempts_by_client{kAttemptsPerClient};
    RateLimiter attempts_by_account{kAttemptsPerAccount};
};

// The handlers keep a reference to `state`, which must outlive the router.
void add_auth_routes(Router& router, AuthState& state);
