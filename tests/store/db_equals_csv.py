#!/usr/bin/env python3
"""The results database holds exactly what the text output holds.

For every run case of tests/run (NAME.run, golden.py's format) that
succeeds, the case's arguments are run again with `--format csv --db DB`
(its own --format, -o and --rotate taken out: the CSV goes to standard
output), and `equery-db DB export 1` must print the same bytes. The same
database exported with `--format json` and with `--format table` must
equal the case run with that format (no --db). Cases that cannot apply are listed with the
reason (N/A), never dropped silently.

Usage: db_equals_csv.py --equery-run PATH --equery-db PATH --traces DIR
                        [--shared DIR] [NAME...]
Exit status: 0 when every applicable case passed, 1 otherwise.
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
RUN_DIR = os.path.join(REPO, "tests", "run")


def parse(path):
    words, rc, stdin = [], 0, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line.startswith("exit:"):
                rc = int(line[5:])
            elif line.startswith("stdin:"):
                stdin = line[6:].strip()
            elif line.startswith(("timeout:", "noargs:", "skipwith:")):
                pass
            elif line:
                words += shlex.split(line)
    return words, rc, stdin


def strip_output_args(args):
    """The case's arguments without --format, -o/--output and --rotate."""
    out, i, dropped = [], 0, []
    while i < len(args):
        a = args[i]
        if a in ("--format", "-o", "--output", "--rotate") and i + 1 < len(args):
            dropped += [a, args[i + 1]]
            i += 2
            continue
        if a.startswith(("--format=", "--output=", "--rotate=")):
            dropped.append(a)
            i += 1
            continue
        out.append(a)
        i += 1
    return out, dropped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--equery-run", required=True)
    ap.add_argument("--equery-db", required=True)
    ap.add_argument("--traces", required=True)
    ap.add_argument("--shared", default=os.path.join(REPO, "..", "shared", "traces"))
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="eq-store-test.")
    passed = failed = na = 0
    try:
        for name in sorted(f[:-4] for f in os.listdir(RUN_DIR) if f.endswith(".run")):
            if a.names and name not in a.names:
                continue
            words, want_rc, stdin = parse(os.path.join(RUN_DIR, name + ".run"))
            if want_rc != 0:
                print("N/A  %s: the case fails on purpose (exit %d): no run to store" % (name, want_rc))
                na += 1
                continue
            if any("{shared}" in w for w in words) and not os.path.isdir(a.shared):
                print("N/A  %s: the real captures (../shared/traces) are not here" % name)
                na += 1
                continue
            outdir = os.path.join(work, name + ".out.d")

            def subst(w):
                return (w.replace("{repo}", REPO).replace("{traces}", a.traces)
                        .replace("{shared}", a.shared).replace("{out}", outdir))
            args, dropped = strip_output_args([subst(w) for w in words])
            db = os.path.join(work, name + ".sqlite")
            stdin_path = subst(stdin) if stdin else None

            def run(cmd):
                with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as inp:
                    return subprocess.run(cmd, stdin=inp, capture_output=True, cwd=REPO, timeout=600)
            r = run([a.equery_run] + args + ["--format", "csv", "--db", db])
            if r.returncode != 0:
                print("FAIL %s: equery-run %s --format csv --db DB exited %d\n%s" %
                      (name, " ".join(args), r.returncode, r.stderr.decode(errors="replace")))
                failed += 1
                continue
            csv = r.stdout
            e = subprocess.run([a.equery_db, db, "export", "1"], capture_output=True)
            problems = []
            if e.returncode != 0 or e.stdout != csv:
                problems.append("csv export differs (exit %d): %s" % (e.returncode, e.stderr.decode(errors="replace")))
                with open(os.path.join(work, name + ".want.csv"), "wb") as f:
                    f.write(csv)
                with open(os.path.join(work, name + ".got.csv"), "wb") as f:
                    f.write(e.stdout)
                d = subprocess.run(["diff", os.path.join(work, name + ".want.csv"),
                                    os.path.join(work, name + ".got.csv")], capture_output=True)
                problems.append(d.stdout.decode(errors="replace")[:3000])
            for fmt in ("json", "table"):
                rj = run([a.equery_run] + args + ["--format", fmt])
                ej = subprocess.run([a.equery_db, db, "export", "1", "--format", fmt], capture_output=True)
                if rj.returncode != 0 or ej.returncode != 0 or ej.stdout != rj.stdout:
                    problems.append("%s export differs from the %s run (exits %d, %d)" %
                                    (fmt, fmt, rj.returncode, ej.returncode))
            if problems:
                print("FAIL %s: %s" % (name, "\n".join(problems)))
                failed += 1
            else:
                rows = csv.count(b"\nrow,") + csv.startswith(b"row,")
                note = " (without %s)" % " ".join(dropped) if dropped else ""
                print("PASS %s: %d bytes, %d rows, csv, json and table%s" % (name, len(csv), rows, note))
                passed += 1
            for p in (db, db + "-wal", db + "-shm"):
                if os.path.exists(p):
                    os.remove(p)
            shutil.rmtree(outdir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("store db-equals-csv: %d passed, %d failed, %d not applicable" % (passed, failed, na))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
