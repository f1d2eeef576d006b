#!/usr/bin/env python3
"""tamper_test.py BUILD TRACES: equery-run BUNDLE builds only the C that it
generates from the bundle's EQuery source (program.eq), never the shipped
program.c (docs/bundle.md, Security).

- a bundle as equeryc wrote it runs, silently;
- program.c replaced by code that writes a marker file when loaded, with
  c_sha256 changed to match: the run's output is the untouched program's,
  the marker is never written, and a pinned warning says the shipped C was
  ignored;
- program.eq edited without its manifest: refused (pinned);
- no program.eq: refused (pinned);
- program.eq and source_sha256 both changed: the changed program runs
  (what is compiled is what the source says, through equery's own code
  generator)."""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
fails = 0


def check(cond, what, detail=""):
    global fails
    print(("PASS " if cond else "FAIL ") + what + ("" if cond or not detail else "\n  " + detail))
    fails += not cond


def main():
    build, traces = sys.argv[1:3]
    equeryc, run = os.path.join(build, "equeryc"), os.path.join(build, "equery-run")
    work = tempfile.mkdtemp(prefix="tamper_test.")
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
    cap = os.path.join(traces, "syn_flood.pcap")
    expected = open(os.path.join(REPO, "tests", "run", "syn_flood.out"), "rb").read()

    def fresh(name):
        b = os.path.join(work, name)
        subprocess.run([equeryc, "-o", b, "examples/syn_flood.eq"], cwd=REPO, check=True)
        return b

    def go(b):
        return subprocess.run([run, b, "--pcap", cap, "--format", "json", "--quiet"], capture_output=True, env=env,
                              timeout=300)

    def set_manifest(b, field, value):
        m = os.path.join(b, "manifest.yaml")
        text = open(m).read()
        text = re.sub(r"(?m)^%s: .*$" % field, "%s: %s" % (field, value), text)
        open(m, "w").write(text)

    b = fresh("clean")
    check(os.path.isfile(os.path.join(b, "program.eq")) and
          open(os.path.join(b, "program.eq"), "rb").read() == open(os.path.join(REPO, "examples/syn_flood.eq"),
                                                                      "rb").read(),
          "equeryc writes the program's source into the bundle")
    r = go(b)
    check(r.returncode == 0 and r.stdout == expected and r.stderr == b"", "an untouched bundle runs silently",
          r.stderr.decode(errors="replace"))

    # program.c and its hash both changed
    b = fresh("c_tampered")
    marker = os.path.join(work, "pwned")
    c = os.path.join(b, "program.c")
    with open(c, "a") as f:
        f.write('\n#include <stdio.h>\n__attribute__((constructor)) static void tamper(void)\n'
                '{ FILE *f = fopen("%s", "w"); if (f) fclose(f); }\n' % marker)
    set_manifest(b, "c_sha256", hashlib.sha256(open(c, "rb").read()).hexdigest())
    r = go(b)
    check(r.returncode == 0 and r.stdout == expected, "a bundle with program.c and c_sha256 changed: the program's "
          "own results", "exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace")))
    check(not os.path.exists(marker), "the shipped program.c was never built nor loaded")
    want = ("equery-run: warning: '%s' is not the C that the bundle's program generates (edited by hand, or another "
            "equeryc?): it is ignored; the C built is generated here from program.eq\n" % c).encode()
    check(r.stderr == want, "a pinned warning says so", repr(r.stderr))

    # program.eq changed, manifest not
    b = fresh("eq_tampered")
    eq = os.path.join(b, "program.eq")
    open(eq, "a").write("\n# an extra line\n")
    r = go(b)
    want = ("equery-run: error: '%s' does not match its manifest's source_sha256 (edited by hand?): compile the "
            "program again\n" % eq).encode()
    check(r.returncode == 3 and r.stdout == b"" and r.stderr == want, "program.eq edited alone: refused",
          "exit %d: %r" % (r.returncode, r.stderr))

    # no program.eq
    b = fresh("no_eq")
    os.unlink(os.path.join(b, "program.eq"))
    r = go(b)
    want = ("equery-run: error: the bundle '%s' has no program.eq (the program's EQuery source, from which "
            "equery-run generates the C it builds): compile the program again with equeryc\n" % b).encode()
    check(r.returncode == 3 and r.stderr == want, "no program.eq: refused", "exit %d: %r" % (r.returncode, r.stderr))

    # program.eq and source_sha256 both changed: the changed program runs
    b = fresh("eq_changed")
    eq = os.path.join(b, "program.eq")
    text = open(eq).read().replace("const SYN_RATE = 5000;", "const SYN_RATE = 1;")
    open(eq, "w").write(text)
    set_manifest(b, "source_sha256", hashlib.sha256(text.encode()).hexdigest())
    alt = os.path.join(work, "alt.eq")
    open(alt, "w").write(text)
    local = subprocess.run([run, alt, "--pcap", cap, "--format", "json", "--quiet"], capture_output=True, env=env,
                           timeout=300)
    r = go(b)
    check(r.returncode == 0 and r.stdout == local.stdout and r.stdout != expected,
          "program.eq and source_sha256 both changed: the changed program runs, compiled here",
          "exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace")[-500:]))
    subprocess.run(["rm", "-rf", work])
    print("bundle-tamper: %d failed" % fails)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
