#!/usr/bin/env bash
# Checks that what the course needs is installed (docs/course.md section 7)
# and, where something is missing, installs it with apt-get (as root, or
# through sudo) or says the exact command to run. Nothing is vendored.
#
#   scripts/deps.sh [extra Debian packages...]
#
# Two kinds of needs: what building and testing need (a missing one stops
# make), and the tools the stage READMEs use to talk to a server (nc, curl,
# openssl, wrk), installed the same way but only recommended when that is
# not possible. When everything is there, the checks take a fraction of a
# second: no package manager is asked anything.
#
# --tests (make test, make deps) also offers what a single test needs and
# the rest of the course does without: Chromium, a large download, for the
# login-CSRF test in a real browser, which is skipped without it. It is
# named with the command that installs it (`scripts/deps.sh chromium`),
# never installed unasked.
set -u

offer_test_tools=0
if [[ ${1-} == --tests ]]; then
    offer_test_tools=1
    shift
fi

required=()     # Debian packages without which make cannot go on
recommended=()  # Debian packages the READMEs' commands use
have_header() { echo "#include <$1>" | g++ -std=c++20 -x c++ -fsyntax-only - >/dev/null 2>&1; }
have() { command -v "$1" >/dev/null 2>&1; }

have g++ || required+=(g++)
have make || required+=(make)
# The openssl command makes stage 7's development certificate (make certs).
have openssl || required+=(openssl)
# One test drives curl as a real client, with a cookie jar.
have curl || required+=(curl)
if have g++; then
    have_header openssl/ssl.h || required+=(libssl-dev)
    have_header doctest/doctest.h || required+=(doctest-dev)
fi
# The READMEs send raw requests with `nc -q1` and `nc -C`: options of the
# OpenBSD netcat that Debian packages as netcat-openbsd (the traditional
# netcat has neither).
nc -h 2>&1 | grep -q OpenBSD || recommended+=(netcat-openbsd)
have wrk || recommended+=(wrk)
for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || required+=("$package")
done
# Where tests/blackbox/browser_test.cpp looks for a browser, as it looks.
have_chromium() {
    [[ -n ${CHROME_PATH-} || -x /usr/bin/chromium || -x /usr/bin/chromium-browser || -x /usr/bin/google-chrome ]]
}
if ((offer_test_tools)) && ! have_chromium; then
    echo "Optional: Chromium, for one test only (login CSRF in a real browser), skipped without it."
    echo "  To run that test too: scripts/deps.sh chromium"
fi

missing=("${required[@]}" "${recommended[@]}")
((${#missing[@]} == 0)) && exit 0

# Stops make when something required is missing; only advises otherwise.
give_up() {
    echo "$1"
    ((${#required[@]} > 0)) && exit 1
    exit 0
}

command_line="apt-get install -y ${missing[*]}"
then_again=""
((${#required[@]} > 0)) && then_again=", then make again"
if ! have apt-get; then
    give_up "Missing: ${missing[*]}. Install them with your package manager$then_again."
fi
if [[ $(id -u) -eq 0 ]]; then
    sudo=""
elif have sudo && sudo -n true 2>/dev/null; then
    sudo="sudo"
else
    give_up "Missing: ${missing[*]}. Run this$then_again:
  sudo apt-get update && sudo $command_line"
fi
echo "Installing ${missing[*]} ..."
$sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive $command_line -qq >/dev/null ||
    give_up "Installing failed. Run: sudo apt-get update && sudo $command_line"
