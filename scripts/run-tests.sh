#!/usr/bin/env bash
# Runs the tests of one or more stages and adds up doctest's counts.
#
#   scripts/run-tests.sh BUILD_DIR [--course] [--server PATH] STAGE... [-- OPTION...]
#
# --course first runs the course's own tests (the slides' references).
# For each stage: its unit tests, then the black-box tests that hold at that
# stage, run against BUILD_DIR/stageN/server, or against PATH with --server
# (a learner's workspace: then only the black-box tests run).
#
# A stage whose server has a --plain flag (see its --help) speaks HTTPS by
# default and plain HTTP with --plain: its black-box tests run twice, once
# each way, each under its own heading and both counted.
#
# The OPTIONs after -- go to every test program (doctest's -tc='*HEAD*',
# -s, ...), except --server-arg ARG, which only the black-box runner takes:
# it adds ARG to the command line of every server the tests start. A test
# program that has no test left to run (a stage without unit tests, or a
# filter that matches none of its tests) is not run.
#
# The last line is the total over everything run, "N passed, M failed", and
# the exit status is non-zero if anything failed.
set -u
build=$1
shift
course=0
server=""
while (($#)); do
    case $1 in
        --course) course=1; shift ;;
        --server) server=$2; shift 2 ;;
        *) break ;;
    esac
done
stages=()
while (($#)) && [[ $1 != -- ]]; do
    stages+=("$1")
    shift
done
[[ ${1-} == -- ]] && shift
doctest_options=()
server_args=()
while (($#)); do
    if [[ $1 == --server-arg ]] && (($# >= 2)); then
        server_args+=(--server-arg "$2")
        shift 2
    else
        doctest_options+=("$1")
        shift
    fi
done

passed=0
failed=0
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# How many test cases a doctest program would run with these options
# (doctest's --count, which applies the same filters).
count() {
    "$@" --count 2>/dev/null | sed -nE 's/.*test cases passing the current filters: *([0-9]+).*/\1/p'
}

run() {
    local cases
    cases=$(count "$@")
    if [[ $cases == 0 ]]; then
        echo "(no test of $(basename "$1") matches; not run)"
        return
    fi
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    # doctest's summary: "[doctest] test cases: 12 | 11 passed | 1 failed | 3 skipped"
    local line
    line=$(grep -E '^\[doctest\] test cases:' "$log" | tail -n 1)
    if [[ -z $line ]]; then
        echo "error: $1 printed no doctest summary (exit status $rc)"
        failed=$((failed + 1))
        status=1
        return
    fi
    local p f
    p=$(sed -E 's/.*\| *([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.*\| *([0-9]+) failed.*/\1/' <<<"$line")
    passed=$((passed + p))
    failed=$((failed + f))
    if ((rc != 0)); then status=1; fi
}

if ((course)); then
    echo "=== course"
    run "$build/tests/course_tests" "${doctest_options[@]}"
fi

for n in "${stages[@]}"; do
    echo "=== stage $n"
    binary=${server:-$build/stage$n/server}
    if [[ -z $server && -x $build/stage$n/unit_tests ]]; then
        run "$build/stage$n/unit_tests" "${doctest_options[@]}"
    fi
    blackbox=("$build/tests/blackbox_tests" --stage "$n" --server "$binary" "${server_args[@]}")
    run "${blackbox[@]}" "${doctest_options[@]}"
    if "$binary" --help 2>/dev/null | grep -q -- '--plain' &&
        [[ " ${server_args[*]} " != *" --plain "* ]]; then
        echo "=== stage $n with --plain (HTTP instead of HTTPS)"
        run "${blackbox[@]}" --server-arg --plain "${doctest_options[@]}"
    fi
done

echo
echo "$passed passed, $failed failed"
exit $status
