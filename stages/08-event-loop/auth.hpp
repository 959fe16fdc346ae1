// Sessions: logging in, staying logged in, logging out.
//
//   POST /login     username + password -> 200 and a session cookie, or 401
//   GET  /protected needs a session     -> 200 naming the user, or 401
//   GET  /admin     needs an admin      -> 200, 403 for other users, 401
//   POST /logout    ends the session    -> 200 and the cookie cleared, or 401
//   POST /register  a new account       -> 201, 409 if the name is taken, 400
//
// A session is found from the cookie a browser sends back, or from an
// "Authorization: Bearer ID" header, which scripts find easier to send.
#pragma once

#include "rate_limiter.hpp"
#include "router.hpp"
#include "session_store.hpp"
#include "users.hpp"

// Everything the login system remembers.
struct AuthState {
    UserStore users;
    SessionStore sessions;
    RateLimiter failures_by_client;  // per client address
    RateLimiter failures_by_user;    // per username tried
};

// Registers the routes above, and GET / (the login page), on `router`.
// The handlers keep a reference to `state`, which must outlive the router.
void add_auth_routes(Router& router, AuthState& state);
