#!/usr/bin/env bash
# Shows what one stage adds to the previous one: the lesson as a diff.
#
#   scripts/stage-diff.sh [--readme] OLD_DIR NEW_DIR
#
# The files come in the lesson's order, not the alphabet's:
#
#   1. the files the stage adds, then the files it changes, then the ones it
#      removes: the new idea first, then how the old code takes it in;
#   2. inside each of these groups a file comes after the files it
#      includes (directly or not), so that nothing is used before it is shown
#      (password before users, users before auth; main.cpp, which includes
#      everything, comes last); files that do not depend on each other keep
#      the alphabet's order;
#   3. a header comes right before its source: the interface, then the code;
#   4. after the code, the stage's other files (public/...), less the
#      compressed copies that make generates there.
#
# A file the stage removes whole shows as its name and length, not as every
# old line again (git diff --irreversible-delete); the --stat summary still
# counts its lines.
#
# The stage's README is left out: it is rewritten for every stage and read
# whole, so a line diff of it says little. --readme adds it at the end as a
# page of its own (the new README in full). The --stat summary at the top
# counts exactly the files shown below it.
#
# Colours as git's when stdout is a terminal, and then the whole thing is
# paged through `less -R` (which quits at once if it fits on one screen).
set -u
shopt -s nullglob

readme=0
if [[ ${1-} == --readme ]]; then
    readme=1
    shift
fi
if (($# != 2)) || [[ ! -d $1 || ! -d $2 ]]; then
    echo "usage: $0 [--readme] OLD_STAGE_DIR NEW_STAGE_DIR" >&2
    exit 2
fi
old=${1%/}
new=${2%/}

# Every file under DIR, relative to it, sorted; the top-level README aside,
# and what the build writes there: from stage 4 on, make puts a NAME.gz
# beside each text file NAME of public/ (git ignores them), which belong to
# the build, not to the lesson.
files_in() {
    local file
    (cd "$1" && find . -type f ! -path ./README.md | sed 's|^\./||' | LC_ALL=C sort) |
        while IFS= read -r file; do
            [[ $file == public/*.gz && -e $1/${file%.gz} ]] || echo "$file"
        done
}

is_code() { [[ $1 != */* && $1 =~ \.(hpp|cpp|h|c)$ ]]; }

# The units (file names without extension) that unit $2 of directory $1
# includes with #include "NAME.hpp", directly or through other units.
includes_of() {
    local dir=$1 start=$2
    local -A seen=([$start]=1)
    local -a todo=("$start")
    while ((${#todo[@]})); do
        local unit=${todo[0]}
        todo=("${todo[@]:1}")
        local dep
        local -a sources=("$dir/$unit".*)  # none for a header of common/
        ((${#sources[@]})) || continue
        for dep in $(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"/]+)\.(hpp|h)".*/\1/p' "${sources[@]}"); do
            if [[ -z ${seen[$dep]-} ]]; then
                seen[$dep]=1
                todo+=("$dep")
                echo "$dep"
            fi
        done
    done
}

# Prints the files of one group in the lesson's order: units sorted so that
# each comes after the units of the same group it includes (a cycle, which
# the stages do not have, falls back to the alphabet), header before source.
order_group() {
    local dir=$1
    shift
    local -a files=("$@")
    ((${#files[@]})) || return 0
    local -A in_group=() emitted=()
    local -a units=()
    local file unit
    for file in "${files[@]}"; do
        unit=${file%.*}
        if [[ -z ${in_group[$unit]-} ]]; then
            in_group[$unit]=1
            units+=("$unit")
        fi
    done
    local -A deps=()
    for unit in "${units[@]}"; do
        local dep list=""
        for dep in $(includes_of "$dir" "$unit"); do
            [[ -n ${in_group[$dep]-} ]] && list+=" $dep"
        done
        deps[$unit]=$list
    done
    local left=${#units[@]}
    while ((left > 0)); do
        local pick=""
        for unit in "${units[@]}"; do
            [[ -n ${emitted[$unit]-} ]] && continue
            local ready=1
            for dep in ${deps[$unit]}; do
                [[ -n ${emitted[$dep]-} ]] || ready=0
            done
            if ((ready)); then
                pick=$unit
                break
            fi
        done
        if [[ -z $pick ]]; then
            for unit in "${units[@]}"; do
                [[ -n ${emitted[$unit]-} ]] || { pick=$unit; break; }
            done
        fi
        emitted[$pick]=1
        left=$((left - 1))
        for file in "${files[@]}"; do
            [[ ${file%.*} == "$pick" && $file =~ \.(hpp|h)$ ]] && echo "$file"
        done
        for file in "${files[@]}"; do
            [[ ${file%.*} == "$pick" && ! $file =~ \.(hpp|h)$ ]] && echo "$file"
        done
    done
}

added=() changed=() removed=() other=()
while IFS= read -r file; do
    if [[ ! -e $old/$file ]]; then
        if is_code "$file"; then added+=("$file"); else other+=("$file"); fi
    elif ! cmp -s "$old/$file" "$new/$file"; then
        if is_code "$file"; then changed+=("$file"); else other+=("$file"); fi
    fi
done < <(files_in "$new")
while IFS= read -r file; do
    if [[ ! -e $new/$file ]]; then
        if is_code "$file"; then removed+=("$file"); else other+=("$file"); fi
    fi
done < <(files_in "$old")

mapfile -t shown < <(
    order_group "$new" "${added[@]}"
    order_group "$new" "${changed[@]}"
    order_group "$old" "${removed[@]}"
    printf '%s\n' "${other[@]}" | grep . | LC_ALL=C sort
)

# The files shown, copied side by side under their stage folders' names, so
# that one `git diff --stat` counts exactly them, with the usual paths.
stat_tree=$(mktemp -d)
trap 'rm -rf "$stat_tree"' EXIT
for file in "${shown[@]}"; do
    for dir in "$old" "$new"; do
        if [[ -e $dir/$file ]]; then
            mkdir -p "$stat_tree/$dir/$(dirname "$file")"
            cp "$dir/$file" "$stat_tree/$dir/$file"
        fi
    done
done
if ((readme)); then
    for dir in "$old" "$new"; do
        if [[ -e $dir/README.md ]]; then
            mkdir -p "$stat_tree/$dir"
            cp "$dir/README.md" "$stat_tree/$dir/README.md"
        fi
    done
fi

show() {
    local color=$1
    local bold="" reset=""
    if [[ $color == always ]]; then
        bold=$'\e[1m'
        reset=$'\e[0m'
    fi
    mkdir -p "$stat_tree/$old" "$stat_tree/$new"
    (cd "$stat_tree" && git --no-pager diff --no-index --color="$color" --stat=100 "$old" "$new")
    ((readme)) || echo " (the stage's README is left out; README=1 adds it at the end)"
    echo
    local file a b
    for file in "${shown[@]}"; do
        a=$old/$file
        b=$new/$file
        [[ -e $a ]] || a=/dev/null
        if [[ -e $b ]]; then
            git --no-pager diff --no-index --color="$color" "$a" "$b"
        else
            # A file the stage removes whole: its name, not its old text
            # again, which the previous stage's lesson showed.
            git --no-pager diff --no-index --color="$color" --irreversible-delete "$a" /dev/null
            local size
            if grep -Iq . "$a"; then
                size=$(wc -l < "$a")
                size+=$([[ $size == 1 ]] && echo " line" || echo " lines")
            else
                size="$(wc -c < "$a") bytes"  # not text: lines mean nothing
            fi
            echo "(removed whole: $size, still to read in $a)"
        fi
    done
    if ((readme)) && [[ -e $new/README.md ]]; then
        echo
        echo "${bold}==================== $new/README.md, the new stage's README in full ====================${reset}"
        echo
        cat "$new/README.md"
    fi
}

if [[ -t 1 ]]; then
    # F: quit if it fits on one screen; R: let the colours through; X: leave
    # it on the screen after quitting. A LESS of the user's own wins.
    show always | LESS=${LESS-FRX} less -R
else
    show never
fi
exit 0
