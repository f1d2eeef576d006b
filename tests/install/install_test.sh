#!/usr/bin/env bash
# install_test.sh - an installed equery works without its source and build
# trees (issue: an installable tool, not a build tree).
#
# Copies the source tree to a temporary folder, builds equeryc and
# equery-run there, installs them with `cmake --install` under a temporary
# prefix, removes the copy and its build, and then from the prefix alone:
# runs the demo (the loss root-cause chain over the bundled capture) and
# compares it with tests/run/loss_chain_table.out; checks the program with
# equeryc; renders the man pages; loads the bash completions; and names the
# package to install when the C compiler is missing.
#
# Usage: install_test.sh REPO_ROOT
set -euo pipefail
REPO=$(cd "$1" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

tar -C "$REPO" --exclude='./build*' --exclude=./.git -cf - . | (mkdir "$WORK/src" && tar -C "$WORK/src" -xf -)
cmake -S "$WORK/src" -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$WORK/configure.log" 2>&1 ||
    { cat "$WORK/configure.log"; exit 1; }
cmake --build "$WORK/build" --target equeryc equery-run equery-db equery-box equery-server >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
cmake --install "$WORK/build" --prefix "$WORK/prefix" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; exit 1; }
rm -rf "$WORK/src" "$WORK/build"
P="$WORK/prefix"
export XDG_CACHE_HOME="$WORK/cache" # a cold build cache: the program is compiled against the installed headers

cd "$WORK"
if "$P/bin/equery-run" "$P/share/equery/examples/loss_root_cause.eq" \
    --pcap "$P/share/equery/examples/traces/loss_chain.pcap" --format table --quiet >demo.out 2>demo.err; then
    if cmp -s demo.out "$REPO/tests/run/loss_chain_table.out"; then
        echo "ok demo from the prefix: the same output as tests/run/loss_chain_table.out"
    else
        fail "demo output differs:"; diff "$REPO/tests/run/loss_chain_table.out" demo.out | head -20
    fi
else
    fail "demo failed: $(cat demo.err)"
fi
if "$P/bin/equeryc" --check "$P/share/equery/examples/syn_flood.eq" && "$P/bin/equeryc" "$P/share/equery/examples/syn_flood.eq" &&
    [ -f syn_flood/program.c ]; then
    echo "ok equeryc from the prefix (the bundle written in the current folder)"
else
    fail "equeryc from the prefix"
fi
for page in man1/equeryc.1 man1/equery-run.1 man1/equery-db.1 man1/equery-box.1 man1/equery-server.1 man7/equery.7; do
    if out=$(MANWIDTH=80 man --warnings -l "$P/share/man/$page" 2>&1 >/dev/null) && [ -z "$out" ]; then
        echo "ok man page $page renders without warnings"
    else
        fail "man page $page: $out"
    fi
done
if bash -c "source '$P/share/bash-completion/completions/equery-run' && complete -p equery-run equeryc" >/dev/null; then
    echo "ok bash completions load"
else
    fail "bash completions"
fi
want="equery-run: error: cannot run the compiler '/nonexistent/cc': No such file or directory; equery-run compiles each program's measurement code: install a C compiler (Debian: apt-get install gcc), or name another compiler with EQUERY_CC"
got=$(EQUERY_CC=/nonexistent/cc "$P/bin/equery-run" "$P/share/equery/examples/syn_flood.eq" \
    --pcap "$P/share/equery/examples/traces/loss_chain.pcap" 2>&1 >/dev/null || true)
if [ "$got" = "$want" ]; then echo "ok a missing compiler is named with its package"; else fail "missing compiler: $got"; fi

# the installed server serves its GUI and the installed examples (share/equery/web, share/equery/examples)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$P/bin/equery-server" --listen "127.0.0.1:$port" --db "$WORK/server.sqlite" >server.log 2>&1 &
server=$!
page="" examples=""
for _ in $(seq 100); do
    page=$(curl -sf "http://127.0.0.1:$port/" 2>/dev/null) && break
    sleep 0.1
done
examples=$(curl -sf "http://127.0.0.1:$port/api/examples" 2>/dev/null || true)
kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
if [[ "$page" == *"<html"* ]] && [[ "$examples" == *"loss_root_cause"* ]]; then
    echo "ok equery-server from the prefix serves its GUI and the installed examples"
else
    fail "equery-server from the prefix: page ${#page} bytes, examples '${examples:0:80}': $(cat server.log)"
fi

if [ "$fails" -ne 0 ]; then
    echo "install: $fails failed"
    exit 1
fi
echo "install: all passed"
