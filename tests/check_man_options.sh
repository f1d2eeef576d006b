#!/usr/bin/env bash
# check_man_options.sh - every option a command's --help lists (in its usage
# lines, or a line that starts with it: "  --name ..." or "  -x, --name
# ...") is in its man page
# (docs/man/COMMAND.1), written as troff writes it (\-\-name); every option
# the page's OPTIONS section describes (.TP, then the option) is one --help
# lists; and each page renders without warnings.
#
# Usage: check_man_options.sh BUILD_DIR MAN_DIR COMMAND...
set -uo pipefail
BUILD=$1
MAN=$2
shift 2
fails=0
checked=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
for cmd in "$@"; do
    page="$MAN/$cmd.1"
    if [ ! -f "$page" ]; then
        fail "$cmd: no man page $page"
        continue
    fi
    help=$("$BUILD/$cmd" --help 2>&1)
    opts=$( (sed '/^$/q' <<<"$help"; grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z0-9-]*' <<<"$help") |
        grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
    if [ -z "$opts" ]; then
        fail "$cmd: --help printed no option"
        continue
    fi
    # every \-\-name of the page; and the options the OPTIONS section
    # describes: the line after each .TP there
    all=$(grep -o -- '\\-\\-[a-z][a-z0-9\\-]*' "$page" | sed 's/\\-/-/g' | sort -u)
    in_page=$(sed -n '/^\.SH OPTIONS/,/^\.SH [A-Z]/p' "$page" | sed -n '/^\.TP/{n;p}' |
        grep -o -- '\\-\\-[a-z][a-z0-9\\-]*' | sed 's/\\-/-/g' | sort -u)
    for o in $opts; do
        checked=$((checked + 1))
        grep -qxF -- "$o" <<<"$all" || fail "$cmd: $o is in --help but not in $page"
    done
    for o in $in_page; do
        grep -qxF -- "$o" <<<"$opts" || fail "$cmd: $o is in the OPTIONS of $page but not in --help"
    done
    out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    [ -z "$out" ] || fail "$cmd: $page renders with warnings: $out"
done
echo "man pages: $checked options of $# commands checked, $fails failure(s)"
[ "$fails" = 0 ]
