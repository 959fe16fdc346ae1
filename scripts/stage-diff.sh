#!/usr/bin/env bash
# Shows what one stage adds to the previous one: the lesson as a diff.
#
#   scripts/stage-diff.sh OLD_DIR NEW_DIR
#
# Code first, file by file (headers before sources of the same name), and
# the stage README last, so the diff reads top to bottom as the lesson.
set -u
old=$1
new=$2
color=never
[[ -t 1 ]] && color=always

git --no-pager diff --no-index --color=$color --stat=100 "$old" "$new"
echo

files=$( (cd "$old" && ls) ; (cd "$new" && ls) )
files=$(sort -u <<<"$files" | grep -v '^README.md$' | sort -t. -k1,1 -k2,2r)
for file in $files README.md; do
    a=$old/$file
    b=$new/$file
    [[ -e $a ]] || a=/dev/null
    [[ -e $b ]] || b=/dev/null
    git --no-pager diff --no-index --color=$color "$a" "$b"
done
exit 0
