#!/usr/bin/env bash
# Fuzzes the stage-2 request parser with libFuzzer, under ASan and UBSan.
#
#   scripts/fuzz.sh [SECONDS]        (make fuzz, make fuzz FUZZ_SECONDS=600)
#   FUZZ_PARSER=stages/NN-name scripts/fuzz.sh [SECONDS]
#   FUZZ_TARGET=path scripts/fuzz.sh [SECONDS]   (make fuzz FUZZ_TARGET=path)
#
# FUZZ_TARGET=path fuzzes how a request's path reaches a file instead:
# percent-decoding, the {path...} route and the document-root checks of
# stage 3 (tests/fuzz/path_fuzz.cpp, seeds in tests/fuzz/path_corpus/, new
# inputs in build/fuzz/path_corpus/); FUZZ_STAGE=stages/NN-name picks a
# later stage's copy of the same files.
#
# Builds tests/fuzz/request_parser_fuzz.cpp with clang into build/fuzz/,
# starts from the checked-in seeds (tests/fuzz/corpus/) plus a few large
# ones made here, and runs for SECONDS (default 60). New interesting inputs
# collect in build/fuzz/corpus/, so each run starts where the last one
# stopped. A crash or a broken invariant leaves its input in
# build/fuzz/crash-* and ends with a non-zero status and the command that
# replays it. Needs clang with libFuzzer; installs Debian's clang if missing.
set -u
cd "$(dirname "$0")/.." || exit 1

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds == 0)); then
    echo "usage: scripts/fuzz.sh SECONDS (a whole number above 0)"
    exit 2
fi

clangxx=${CLANGXX:-clang++}
out=build/fuzz
target=${FUZZ_TARGET:-request_parser}
if [[ $target != request_parser && $target != path ]]; then
    echo "FUZZ_TARGET is request_parser (the default) or path"
    exit 2
fi
binary=$out/${target}_fuzz
# The parser of stage 2 by default; a later stage's copy of it (same class,
# same public API) with FUZZ_PARSER=stages/04-status-codes make fuzz.
parser_dir=${FUZZ_PARSER:-stages/02-parsing}

# libFuzzer ships with clang's compiler-rt, which some distributions package
# apart from the compiler: try to build an empty target to know for sure.
have_libfuzzer() {
    command -v "$clangxx" >/dev/null 2>&1 || return 1
    local probe
    probe=$(mktemp -d)
    echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
        >"$probe/probe.cpp"
    "$clangxx" -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" >/dev/null 2>&1
    local rc=$?
    rm -rf "$probe"
    return $rc
}

if ! have_libfuzzer; then
    # Debian 12 keeps libFuzzer in libclang-rt-dev; older releases put it in
    # the package clang already pulls in.
    packages=(clang)
    if apt-cache show libclang-rt-dev >/dev/null 2>&1; then packages+=(libclang-rt-dev); fi
    echo "make fuzz needs clang with libFuzzer (Debian: ${packages[*]})."
    scripts/deps.sh "${packages[@]}" || exit 1
    if ! have_libfuzzer; then
        echo "clang cannot build a libFuzzer target yet. Run this, then make fuzz again:"
        echo "  sudo apt-get update && sudo apt-get install -y ${packages[*]}"
        exit 1
    fi
fi

# The parser and what it needs from common/ (string helpers only: it does
# no I/O). Rebuilt every time: it takes a few seconds and can never be stale.
corpus=$out/corpus
seeds=tests/fuzz/corpus
dict=tests/fuzz/http.dict
max_len=70000
source_dir=$parser_dir
sources=(tests/fuzz/request_parser_fuzz.cpp "$parser_dir/request_parser.cpp" common/strings.cpp)
if [[ $target == path ]]; then
    # The path's way to a file: decoding, routing, checking, opening.
    corpus=$out/path_corpus
    seeds=tests/fuzz/path_corpus
    dict=tests/fuzz/path.dict
    max_len=4096
    source_dir=${FUZZ_STAGE:-stages/03-routing}
    sources=(tests/fuzz/path_fuzz.cpp common/strings.cpp common/log.cpp)
    for file in url router static_files http_response http_date; do sources+=("$source_dir/$file.cpp"); done
    # From stage 4 on, static_files.cpp needs these too.
    for file in conditional status_codes; do
        [[ -e $source_dir/$file.cpp ]] && sources+=("$source_dir/$file.cpp")
    done
fi
mkdir -p "$corpus"
echo "building $binary from $source_dir"
"$clangxx" -std=c++20 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1 \
    -Wall -Wextra -Wpedantic -Werror -I"$source_dir" -Icommon "${sources[@]}" \
    -o "$binary" || exit 1

# libFuzzer adds files to its corpus folder but never removes any; once
# there are many, keep only those that still add coverage, so that loading
# them at start-up stays quick.
if (($(find "$corpus" -type f | wc -l) > 1500)); then
    echo "minimizing $corpus"
    rm -rf "$corpus.min" && mkdir "$corpus.min"
    "$binary" -merge=1 -max_len="$max_len" "$corpus.min" "$corpus" >"$out/merge.log" 2>&1 &&
        rm -rf "$corpus" && mv "$corpus.min" "$corpus"
fi

# Seeds too big to keep in git: bodies and lines at and just past the limits
# (8 KiB request line and header section, 64 KiB body). The fuzzer's inputs
# are capped at max_len, so these sit just under it.
seed() {
    local file=$corpus/$1
    shift
    [[ -e $file ]] || "$@" >"$file"
}
repeat() { head -c "$2" /dev/zero | tr '\0' "$1"; }
post_64k() { printf 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n'; repeat a 65536; }
chunked_64k() {
    printf 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n'
    repeat b 65536
    printf '\r\n0\r\n\r\n'
}
# "GET /" + N bytes + " HTTP/1.1" is a request line of N + 14 bytes.
request_line() { printf 'GET /'; repeat a "$(($1 - 14))"; printf ' HTTP/1.1%sHost: x%s%s' "$2" "$2" "$2"; }
header_9k() { printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Big: '; repeat c 9000; printf '\r\n\r\n'; }
pipeline_1000() { for _ in $(seq 1000); do printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'; done; }
if [[ $target == request_parser ]]; then
    seed generated-valid-post-64k.http post_64k
    seed generated-valid-chunked-64k.http chunked_64k
    seed generated-valid-request-line-8192.http request_line 8192 $'\r\n'
    seed generated-bad-request-line-8193.http request_line 8193 $'\r\n'
    seed generated-bad-header-section-9k.http header_9k
    seed generated-valid-pipeline-1000-requests.http pipeline_1000
fi

log=$out/${target}_fuzz.log
echo "fuzzing for $seconds s (log: $log)"
# -max_len: big enough for a 64 KiB body with its head. -timeout: a single
# input taking seconds means the parser loops. The first corpus folder is
# where new inputs are written; the seeds are only read.
started=$SECONDS
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$binary" "$corpus" "$seeds" \
    -dict="$dict" -max_len="$max_len" -timeout=10 \
    -max_total_time="$seconds" -artifact_prefix="$out/" -print_final_stats=1 >"$log" 2>&1 &
fuzzer=$!
# A background job does not get the terminal's Ctrl-C: pass it on.
interrupted=0
trap 'interrupted=1; kill "$fuzzer" 2>/dev/null' INT TERM
# Show progress now and then instead of libFuzzer's line per new input.
while kill -0 "$fuzzer" 2>/dev/null; do
    sleep 10
    line=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    [[ -n $line ]] && echo "  $line"
done
wait "$fuzzer"
status=$?

executions=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
if [[ -z $executions ]]; then
    executions=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -E 's/^#([0-9]+).*/\1/')
fi
echo "executions: ${executions:-unknown} in $((SECONDS - started)) s; corpus: $(find "$corpus" -type f | wc -l) inputs"

if ((interrupted)); then
    echo "interrupted"
    exit 130
fi
if ((status != 0)); then
    grep -E 'invariant violated|ERROR: (AddressSanitizer|libFuzzer)|runtime error' "$log" | head -n 5
    artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)
    echo "the fuzzer found a problem (exit status $status); see $log"
    [[ -n $artifact ]] && echo "replay it with: $binary $artifact"
    exit 1
fi
echo "no crash, no broken invariant"
