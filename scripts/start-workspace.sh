#!/usr/bin/env bash
# Learner mode: makes the folder where a learner writes stage N themself.
#
#   scripts/start-workspace.sh N PREVIOUS_STAGE_DIR STAGE_DIR WORKSPACE_DIR
#
# The workspace starts as a copy of stage N-1, which passes every test up
# to stage N-1; the learner's job is to make stage N's tests pass too. The
# copy is renamed where it says which stage it is: main.cpp's first line
# and the summary its --help prints name stage N, and the README is
# replaced by one that says what to do and how to check it.
#
# The files the server serves are stage N's from the start: its public/
# replaces stage N-1's (stage 3 brings the first one, stage 5 a page with
# the login forms). Its tests fetch those pages, and writing HTML is not
# the lesson; the code that serves them is. What make generates in public/
# (from stage 4 on, a NAME.gz beside each text file) is not copied: the
# workspace's own build makes it.
set -eu
n=$1
previous=$2
stage=$3
workspace=$4

if [[ -e $workspace ]]; then
    echo "$workspace exists already; remove it to start again"
    exit 2
fi
mkdir -p "$(dirname "$workspace")"
cp -r "$previous" "$workspace"
if [[ -d $stage/public ]]; then
    rm -rf "$workspace/public"
    cp -r "$stage/public" "$workspace/public"
fi
if [[ -d $workspace/public ]]; then
    while IFS= read -r -d '' compressed; do
        [[ -e ${compressed%.gz} ]] && rm -f "$compressed"
    done < <(find "$workspace/public" -name '*.gz' -print0)
fi

# "# Stage 4: status codes as a protocol" -> "status codes as a protocol"
title=$(sed -nE '1s/^# Stage [0-9]+: *//p' "$stage/README.md")
title=${title:-$(basename "$stage")}
before=$((n - 1))

# main.cpp: "// Stage 3: routing." and Flags(..., "Stage 3: ...") name stage N.
# (& and | and \ would mean something to sed; a README title has none of them,
# and if one ever does, the old line stays: the copy still builds.)
if [[ $title != *[\&\|\\]* ]]; then
    sed -i -E \
        -e "1s|^// Stage $before: .*|// Stage $n: $title (your version; it started as a copy of stage $before).|" \
        -e "s|\"Stage $before: [^\"]*\"|\"Stage $n: $title.\"|" \
        "$workspace/main.cpp"
fi

public_note=""
if [[ -d $stage/public ]]; then
    public_note="
Its \`public/\` folder, the files the server serves, is stage $n's
already: its pages are not the lesson, the code that serves them is."
fi
cat >"$workspace/README.md" <<EOF
# Stage $n: $title (your version)

This folder is your stage $n. It started as a copy of stage $before
(\`$previous/\`), which passes every test up to stage $before. What
stage $n must do is in [\`$stage/README.md\`](../../$stage/README.md) and in
its slides: read what it does and why, not its code, and write it here.$public_note

\`\`\`sh
make check N=$n                              # build this folder, run stage $n's black-box tests on it
make check N=$n TEST_ARGS='-tc="*a name*"'   # only the tests whose names match (doctest's -tc)
make check N=$n SERVER_ARGS='...'            # flags added to every server the tests start
\`\`\`

At first, stage $before's tests pass and stage $n's fail: turn them green
one at a time. Each failure prints the bytes the test sent and the bytes
your server answered, and two commands that replay the exchange by hand:
one starts your server as the test did, the other sends the same bytes.
Your server is built as \`build/$workspace/server\`.
EOF

echo "Copied $previous to $workspace, named as stage $n."
if [[ -d $stage/public ]]; then
    echo "Its public/ is stage $n's already: the pages and files the server serves."
fi
echo "Read $stage/README.md for the goal (not its code!), write it in $workspace,"
echo "then run: make check N=$n"
