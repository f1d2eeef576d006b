#!/usr/bin/env bash
# Check that the generated field table in docs/fields.md is up to date.
# The lines strictly between
#     <!-- fields:begin -->
# and
#     <!-- fields:end -->
# must equal the output of `equeryc --emit=fields`.
# With EQUERY_UPDATE_GOLDEN=1 in the environment the section is rewritten in place instead
# (and a missing DOC is created with just a title and the section).
#
# Usage: tests/check_fields_doc.sh EQUERYC DOC
set -uo pipefail

BEGIN='<!-- fields:begin -->'
END='<!-- fields:end -->'

if [ $# -ne 2 ]; then
    echo "usage: $0 EQUERYC DOC" >&2
    exit 2
fi
equeryc="$1"
doc="$2"
update=0
case "${EQUERY_UPDATE_GOLDEN:-}" in ''|0|false|no) ;; *) update=1 ;; esac

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fields-doc.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

if ! "$equeryc" --emit=fields </dev/null >"$tmp/actual" 2>"$tmp/stderr"; then
    echo "check_fields_doc: \`equeryc --emit=fields\` failed:" >&2
    cat "$tmp/stderr" >&2
    exit 1
fi
if [ ! -s "$tmp/actual" ]; then
    echo "check_fields_doc: \`equeryc --emit=fields\` printed nothing" >&2
    exit 1
fi
# The section is made of whole lines: make sure the output ends with one.
[ -n "$(tail -c 1 "$tmp/actual")" ] && echo >>"$tmp/actual"

if [ ! -f "$doc" ]; then
    if [ "$update" -eq 1 ]; then
        { printf '# Field catalogue\n\n%s\n' "$BEGIN"; cat "$tmp/actual"; printf '%s\n' "$END"; } >"$doc"
        echo "check_fields_doc: created $doc"
        exit 0
    fi
    echo "check_fields_doc: $doc does not exist; run with EQUERY_UPDATE_GOLDEN=1 to create it" >&2
    exit 1
fi

nbegin=$(grep -cxF -- "$BEGIN" "$doc")
nend=$(grep -cxF -- "$END" "$doc")
lbegin=$(grep -nxF -- "$BEGIN" "$doc" | head -n 1 | cut -d: -f1)
lend=$(grep -nxF -- "$END" "$doc" | head -n 1 | cut -d: -f1)
if [ "$nbegin" -ne 1 ] || [ "$nend" -ne 1 ] || [ "$lbegin" -ge "$lend" ]; then
    echo "check_fields_doc: $doc must contain exactly one line '$BEGIN'" >&2
    echo "followed later by exactly one line '$END'" >&2
    exit 1
fi

if [ "$lend" -gt $((lbegin + 1)) ]; then
    sed -n "$((lbegin + 1)),$((lend - 1))p" "$doc" >"$tmp/expected"
else
    : >"$tmp/expected"
fi

if cmp -s "$tmp/expected" "$tmp/actual"; then
    echo "PASS $doc is up to date with \`equeryc --emit=fields\`"
    exit 0
fi

if [ "$update" -eq 1 ]; then
    { head -n "$lbegin" "$doc"; cat "$tmp/actual"; tail -n "+$lend" "$doc"; } >"$tmp/new"
    cat "$tmp/new" >"$doc"
    echo "check_fields_doc: updated the generated section of $doc"
    exit 0
fi

echo "FAIL $doc: the section between '$BEGIN' and '$END' differs from \`equeryc --emit=fields\`"
diff -u --label "$doc (section)" --label "equeryc --emit=fields" "$tmp/expected" "$tmp/actual"
echo "run with EQUERY_UPDATE_GOLDEN=1 to rewrite it (e.g. EQUERY_UPDATE_GOLDEN=1 ctest --test-dir build -R fields-doc)"
exit 1
