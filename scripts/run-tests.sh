#!/usr/bin/env bash
# Runs the tests of one or more stages and adds up doctest's counts.
#
#   scripts/run-tests.sh BUILD_DIR [--course] STAGE...
#
# --course first runs the course's own tests (the slides' references).
# For each stage: its unit tests (if it has any), then the black-box tests
# that hold at that stage, run against build/stageN/server. The last line is
# the total over all stages, "N passed, M failed", and the exit status is
# non-zero if anything failed.
set -u
build=$1
shift
course=0
if [[ ${1-} == --course ]]; then
    course=1
    shift
fi

passed=0
failed=0
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {
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
    run "$build/tests/course_tests"
fi

for n in "$@"; do
    echo "=== stage $n"
    if [[ -x $build/stage$n/unit_tests ]]; then
        run "$build/stage$n/unit_tests"
    fi
    run "$build/tests/blackbox_tests" --stage "$n" --server "$build/stage$n/server"
done

echo
echo "$passed passed, $failed failed"
exit $status
