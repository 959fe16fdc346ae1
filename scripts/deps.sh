#!/usr/bin/env bash
# Checks that what the course needs is installed (docs/course.md section 7) and, where
# something is missing, installs it with apt-get (as root, or through sudo)
# or says the exact command to run. Nothing is vendored.
#
#   scripts/deps.sh [extra Debian packages...]
set -u

missing=()
have_header() { echo "#include <$1>" | g++ -std=c++20 -x c++ -fsyntax-only - >/dev/null 2>&1; }

command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
# The openssl command makes stage 7's development certificate (make certs).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if command -v g++ >/dev/null 2>&1; then
    have_header openssl/ssl.h || missing+=(libssl-dev)
    have_header doctest/doctest.h || missing+=(doctest-dev)
fi
for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

((${#missing[@]} == 0)) && exit 0

command_line="apt-get install -y ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing: ${missing[*]}. Install them with your package manager, then run make again."
    exit 1
fi
if [[ $(id -u) -eq 0 ]]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
else
    echo "Missing: ${missing[*]}. Run this, then make again:"
    echo "  sudo apt-get update && sudo $command_line"
    exit 1
fi
echo "Installing ${missing[*]} ..."
$sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive $command_line -qq >/dev/null ||
    { echo "Installing failed. Run: sudo apt-get update && sudo $command_line"; exit 1; }
