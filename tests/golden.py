#!/usr/bin/env python3
"""Golden-file test runner for equeryc (standard library only).

Usage:
  golden.py --equeryc PATH --mode MODE --dir DIR [--update] [--args "..."] [NAME...]

Modes:
  emit    For each DIR/NAME.eq and each expected file DIR/NAME.EXT that exists
          (EXT in tokens, ast, ir, c, h, bpf.c) run `equeryc --emit=STAGE
          NAME.eq` in DIR (STAGE: EXT, but bpf for bpf.c) and compare stdout
          byte for byte with NAME.EXT; the exit status must be 0.
          Update mode rewrites those files; a NAME.eq without any expected
          file gets NAME.ast and NAME.ir.
  errors  For each DIR/NAME.eq run `equeryc --check NAME.eq` in DIR and compare
          stderr byte for byte with NAME.err. The exit status must be 1
          (program errors), or 0 when NAME starts with `warn_`.
          Update mode rewrites NAME.err.
  same    DIR holds subfolders; all .eq files of one subfolder must give the
          same `--emit=ir` output once comment lines (`#` after optional
          spaces) and trailing ` # ...` comments are removed.
  run     For each DIR/NAME.run (the binary is then equery-run): its lines
          (after `#` comments) are the arguments, split like a shell would,
          with {repo}, {traces} (the generated test traces, --traces) and
          {shared} (../shared/traces, --shared) replaced; a line `exit: N`
          sets the expected exit status (default 0), a line `stdin: FILE`
          (placeholders replaced) what the tool reads on standard input, a
          line `noargs: WHY` skips the case when --args adds arguments, a line
          `skipwith: ARG WHY` when --args includes ARG, a line `timeout: S`
          fails the case when it takes more than S seconds; {out} is a new
          empty folder whose files, after the run, must be those of the
          folder NAME.d (same names, same bytes). Runs in the
          repository root; stdout must equal NAME.out, and stderr NAME.err
          (empty when there is no NAME.err; in the runs with --args compared
          only when the exit status is not 0: the engines' reports differ,
          their errors may not). Before stderr is compared, the paths given for {repo},
          {traces} and {shared} become those placeholders again, and the
          summary's timing ("in 0.012 s (1.23 Mpps)") becomes "in T s (R
          Mpps)". A case that uses {shared} when that folder is absent is
          reported as SKIP (not counted as passed).

Update mode: --update or the environment variable EQUERY_UPDATE_GOLDEN=1
(a name of its own: a shell may well have UPDATE set for other reasons).
--args passes extra arguments to equeryc (split like a shell would).
NAME... restricts the run to those cases (file stems, or subfolders for same).

Each case prints `PASS name` or `FAIL name` (with a unified diff), then
`golden MODE: N passed, N failed`. Exit status: 0 if all passed, 1 if any
case failed (or no case was found), 2 for usage errors.
"""

import argparse
import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

EMIT_EXTS = ("tokens", "ast", "ir", "c", "h", "bpf", "komon")
# The expected file of a stage, when it is not NAME.STAGE.
EMIT_FILE_EXT = {"bpf": "bpf.c", "komon": "komon.yaml"}
DEFAULT_EMIT_EXTS = ("ast", "ir")  # created in update mode when none exists


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.updated = 0

    skipped = 0

    def skip(self, name, why):
        self.skipped += 1
        print("SKIP %s: %s" % (name, why))

    def ok(self, name, note=""):
        self.passed += 1
        print("PASS %s%s" % (name, (" (%s)" % note) if note else ""))

    def fail(self, name, reason, details=""):
        self.failed += 1
        print("FAIL %s: %s" % (name, reason))
        if details:
            sys.stdout.write(details if details.endswith("\n") else details + "\n")

    def update(self, name):
        self.passed += 1
        self.updated += 1
        print("PASS %s (updated)" % name)


def text(data):
    return data.decode("utf-8", errors="replace")


def unified_diff(expected, actual, expected_name, actual_name):
    """Unified diff of two texts, marking a missing final newline."""
    def lines(s):
        out = s.splitlines(keepends=True)
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n\\ No newline at end of file\n"
        return out

    diff = "".join(difflib.unified_diff(lines(expected), lines(actual),
                                        fromfile=expected_name,
                                        tofile=actual_name))
    if not diff and expected != actual:
        diff = "(outputs differ only in line endings or encoding)\n"
    return diff


def indent(s, prefix="    "):
    return "".join(prefix + line for line in s.splitlines(keepends=True))


def describe_status(rc):
    if rc < 0:
        try:
            return "killed by signal %s" % signal.Signals(-rc).name
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit status %d" % rc


class Runner:
    def __init__(self, equeryc, extra_args, timeout):
        self.equeryc = equeryc
        self.extra_args = extra_args
        self.timeout = timeout

    def run(self, args, cwd):
        """Run equeryc; returns (rc, stdout bytes, stderr bytes) or raises."""
        cmd = [self.equeryc] + self.extra_args + args
        stdin_file = open(self.stdin, "rb") if getattr(self, "stdin", None) else None
        # Own process group, so that a timeout kills any children too.
        with stdin_file or open(os.devnull, "rb") as stdin_src, subprocess.Popen(cmd, cwd=cwd, stdin=stdin_src,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True) as proc:
            try:
                out, err = proc.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                proc.communicate()
                raise
        return proc.returncode, out, err

    def cmdline(self, args):
        return " ".join(shlex.quote(a) for a in
                        [os.path.basename(self.equeryc)] + self.extra_args + args)


def run_or_fail(runner, res, name, args, cwd):
    try:
        return runner.run(args, cwd)
    except subprocess.TimeoutExpired:
        res.fail(name, "`%s` timed out after %ss" % (runner.cmdline(args),
                                                     runner.timeout))
    except OSError as e:
        res.fail(name, "cannot run %s: %s" % (runner.equeryc, e))
    return None


def selected(names, stem):
    return not names or stem in names


def eq_stems(directory):
    return sorted(f[:-3] for f in os.listdir(directory)
                  if f.endswith(".eq") and os.path.isfile(os.path.join(directory, f)))


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def mode_emit(runner, directory, update, names, res):
    for stem in eq_stems(directory):
        if not selected(names, stem):
            continue
        src = stem + ".eq"
        exts = [e for e in EMIT_EXTS
                if os.path.isfile(os.path.join(directory, "%s.%s" % (stem, EMIT_FILE_EXT.get(e, e))))]
        if not exts:
            if not update:
                res.fail(src, "no expected output; run with EQUERY_UPDATE_GOLDEN=1")
                continue
            exts = list(DEFAULT_EMIT_EXTS)
        for ext in exts:
            name = "%s.%s" % (stem, EMIT_FILE_EXT.get(ext, ext))
            path = os.path.join(directory, name)
            args = ["--emit=" + ext, src]
            r = run_or_fail(runner, res, name, args, directory)
            if r is None:
                continue
            rc, out, err = r
            if rc != 0:
                res.fail(name, "`%s`: %s (expected 0)" % (runner.cmdline(args),
                                                          describe_status(rc)),
                         "  stderr:\n" + indent(text(err)) if err else "")
                continue
            expected = read_bytes(path) if os.path.exists(path) else None
            if expected == out:
                res.ok(name)
            elif update:
                write_bytes(path, out)
                res.update(name)
            else:
                details = unified_diff(text(expected), text(out),
                                       name + " (expected)",
                                       name + " (actual)")
                if err:
                    details += "  stderr:\n" + indent(text(err))
                res.fail(name, "output differs from %s" % name, details)


def mode_errors(runner, directory, update, names, res):
    for stem in eq_stems(directory):
        if not selected(names, stem):
            continue
        src = stem + ".eq"
        name = stem + ".err"
        path = os.path.join(directory, name)
        want_rc = 0 if stem.startswith("warn_") else 1
        args = ["--check", src]
        r = run_or_fail(runner, res, src, args, directory)
        if r is None:
            continue
        rc, out, err = r
        if rc != want_rc:
            details = ""
            if err:
                details += "  stderr:\n" + indent(text(err))
            if out:
                details += "  stdout:\n" + indent(text(out))
            res.fail(src, "`%s`: %s (expected %d)" % (
                runner.cmdline(args), describe_status(rc), want_rc), details)
            continue
        if not os.path.exists(path):
            if update:
                write_bytes(path, err)
                res.update(src)
            else:
                res.fail(src, "no expected output %s; run with EQUERY_UPDATE_GOLDEN=1" % name,
                         "  stderr:\n" + indent(text(err)) if err else "")
            continue
        expected = read_bytes(path)
        if expected == err:
            res.ok(src)
        elif update:
            write_bytes(path, err)
            res.update(src)
        else:
            res.fail(src, "stderr differs from %s" % name,
                     unified_diff(text(expected), text(err),
                                  name + " (expected)", name + " (actual)"))


_COMMENT_LINE = re.compile(r"^\s*#")
_TRAILING_COMMENT = re.compile(r"\s+#.*$")


def normalize_ir(s):
    out = []
    for line in s.splitlines():
        if _COMMENT_LINE.match(line):
            continue
        line = _TRAILING_COMMENT.sub("", line).rstrip()
        out.append(line + "\n")
    return "".join(out)


def mode_same(runner, directory, update, names, res):
    if update:
        print("note: --update has no effect in mode 'same'")
    groups = sorted(d for d in os.listdir(directory)
                    if os.path.isdir(os.path.join(directory, d)))
    for group in groups:
        if not selected(names, group):
            continue
        gdir = os.path.join(directory, group)
        stems = eq_stems(gdir)
        if len(stems) < 2:
            res.fail(group, "needs at least 2 .eq files, found %d" % len(stems))
            continue
        outputs = []
        problems = []
        for stem in stems:
            src = stem + ".eq"
            args = ["--emit=ir", src]
            try:
                rc, out, err = runner.run(args, gdir)
            except subprocess.TimeoutExpired:
                problems.append("%s/%s: timed out after %ss\n"
                                % (group, src, runner.timeout))
                continue
            except OSError as e:
                problems.append("cannot run %s: %s\n" % (runner.equeryc, e))
                break
            if rc != 0:
                msg = "%s/%s: `%s`: %s (expected 0)\n" % (
                    group, src, runner.cmdline(args), describe_status(rc))
                if err:
                    msg += "  stderr:\n" + indent(text(err))
                problems.append(msg)
                continue
            outputs.append((src, normalize_ir(text(out))))
        if not problems and outputs:
            ref_name, ref = outputs[0]
            for src, ir in outputs[1:]:
                if ir != ref:
                    problems.append(
                        "%s/%s differs from %s/%s:\n" % (group, src, group, ref_name)
                        + unified_diff(ref, ir, "%s/%s" % (group, ref_name),
                                       "%s/%s" % (group, src)))
        if problems:
            res.fail(group, "outputs are not all the same", "".join(problems))
        else:
            res.ok(group, "%d files: %s" % (len(stems),
                                            ", ".join(s + ".eq" for s in stems)))


def run_stems(directory):
    return sorted(f[:-4] for f in os.listdir(directory)
                  if f.endswith(".run") and os.path.isfile(os.path.join(directory, f)))


def mode_run(runner, directory, update, names, res):
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    for stem in run_stems(directory):
        if not selected(names, stem):
            continue
        spec = text(read_bytes(os.path.join(directory, stem + ".run")))
        words, want_rc, stdin, noargs, skipwith, limit = [], 0, None, None, [], None
        for line in spec.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("exit:"):
                want_rc = int(line[5:])
            elif line.startswith("timeout:"):
                limit = float(line[8:])
            elif line.startswith("stdin:"):
                stdin = line[6:].strip()
            elif line.startswith("noargs:"):
                noargs = line[7:].strip()
            elif line.startswith("skipwith:"):
                pat, _, why = line[9:].strip().partition(" ")
                skipwith.append((pat, why))
            elif line:
                words += shlex.split(line)
        if noargs and runner.extra_args:
            res.skip(stem, "not with --args: " + noargs)
            continue
        hit = [why for pat, why in skipwith if pat in runner.extra_args]
        if hit:
            res.skip(stem, "not with %s: %s" % (" ".join(runner.extra_args), hit[0]))
            continue
        uses_shared = any("{shared}" in w for w in words)
        if uses_shared and not (runner.shared and os.path.isdir(runner.shared)):
            res.skip(stem, "the real captures (../shared/traces) are not here")
            continue
        if any("{traces}" in w for w in words) and not runner.traces:
            res.fail(stem, "needs --traces DIR (the generated test traces)")
            continue
        outdir = tempfile.mkdtemp(prefix="golden-out.") if any("{out}" in w for w in words) else None

        def subst(w):
            return (w.replace("{repo}", repo).replace("{traces}", runner.traces or "")
                    .replace("{shared}", runner.shared or "").replace("{out}", outdir or ""))
        args = [subst(w) for w in words]
        runner.stdin = subst(stdin) if stdin else None
        t0 = time.monotonic()
        r = run_or_fail(runner, res, stem, args, repo)
        took = time.monotonic() - t0
        runner.stdin = None
        if r is None:
            continue
        rc, out, err = r
        files = read_folder(outdir) if outdir else None
        if outdir:
            shutil.rmtree(outdir, ignore_errors=True)
        if rc != want_rc:
            res.fail(stem, "`%s`: %s (expected %d)" % (runner.cmdline(args), describe_status(rc), want_rc),
                     "  stderr:\n" + indent(text(err)) if err else "")
            continue
        if limit is not None and took > limit:
            res.fail(stem, "`%s` took %.1f s, more than the case's timeout: %g s" % (runner.cmdline(args), took, limit))
            continue
        problems = []
        expected = [(stem + ".out", out)]
        if want_rc != 0 or not runner.extra_args:
            expected.append((stem + ".err", normalize_stderr(err, repo, runner)))
        for name, got in expected:
            path = os.path.join(directory, name)
            # no NAME.err: stderr must be empty
            want = read_bytes(path) if os.path.exists(path) else (b"" if name.endswith(".err") else None)
            if want == got:
                continue
            if update:
                if got or name.endswith(".out"):
                    write_bytes(path, got)
                else:
                    os.remove(path)
                res.updated += 1
            elif want is None:
                problems.append(("no expected output %s; run with EQUERY_UPDATE_GOLDEN=1" % name, ""))
            else:
                problems.append(("%s differs from %s" % ("stdout" if name.endswith(".out") else "stderr", name),
                                 unified_diff(text(want), text(got), name + " (expected)",
                                              name + " (actual)")))
        if files is not None:
            problems += compare_folder(os.path.join(directory, stem + ".d"), files, update, res)
        if problems:
            res.fail(stem, "; ".join(p[0] for p in problems), "".join(p[1] for p in problems))
        else:
            res.ok(stem)


def read_folder(path):
    """{relative name: bytes} of every file below path."""
    out = {}
    for root, _, names in os.walk(path):
        for n in names:
            full = os.path.join(root, n)
            out[os.path.relpath(full, path)] = read_bytes(full)
    return out


def compare_folder(want_dir, got, update, res):
    """Problems (reason, details) between the expected folder and the files a
    run wrote; in update mode, the expected folder is rewritten."""
    # (no expected folder: no file may be written)
    want = read_folder(want_dir) if os.path.isdir(want_dir) else {}
    if want == got:
        return []
    if update:
        shutil.rmtree(want_dir, ignore_errors=True)
        for name, data in got.items():
            os.makedirs(os.path.dirname(os.path.join(want_dir, name)), exist_ok=True)
            write_bytes(os.path.join(want_dir, name), data)
        res.updated += 1
        return []
    problems = []
    for name in sorted(set(want) | set(got)):
        if name not in got:
            problems.append(("file %s was not written" % name, ""))
        elif name not in want:
            problems.append(("file %s is not expected" % name, ""))
        elif want[name] != got[name]:
            problems.append(("file %s differs" % name,
                             unified_diff(text(want[name]), text(got[name]), name + " (expected)", name + " (actual)")))
    return problems


_TIMING = re.compile(rb" in [0-9.]+ s \([0-9.]+ Mpps\)")


def normalize_stderr(err, repo, runner):
    """stderr with the placeholders' paths put back, and no timing."""
    for path, name in sorted(((runner.traces, b"{traces}"), (runner.shared, b"{shared}"), (repo, b"{repo}")),
                             key=lambda pn: -len(pn[0] or "")):
        if path:
            err = err.replace(path.encode(), name)
    return _TIMING.sub(b" in T s (R Mpps)", err)


MODES = {"emit": mode_emit, "errors": mode_errors, "same": mode_same, "run": mode_run}


def env_update():
    v = os.environ.get("EQUERY_UPDATE_GOLDEN", "")
    return v not in ("", "0", "false", "no")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Golden-file tests for equeryc.",
        epilog="EQUERY_UPDATE_GOLDEN=1 in the environment is the same as --update.")
    ap.add_argument("--equeryc", required=True, help="path to the equeryc binary")
    ap.add_argument("--mode", required=True, choices=sorted(MODES))
    ap.add_argument("--dir", required=True, help="directory holding the cases")
    ap.add_argument("--update", action="store_true",
                    help="rewrite the expected files from the actual output")
    ap.add_argument("--args", default="",
                    help="extra arguments for equeryc (shell-style quoting)")
    ap.add_argument("--traces", default=None, help="generated test traces (mode run)")
    ap.add_argument("--shared", default=None, help="real captures, ../shared/traces (mode run)")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds allowed for one equeryc run (default 120)")
    ap.add_argument("names", nargs="*", metavar="NAME",
                    help="only run these cases (file stem; subfolder in mode same)")
    # Let `--args "--emit=x ..."` work: argparse would take a value that
    # starts with '-' for an option, so glue it to --args.
    argv = list(sys.argv[1:] if argv is None else argv)
    i = 0
    while i < len(argv):
        if argv[i] == "--args" and i + 1 < len(argv):
            argv[i:i + 2] = ["--args=" + argv[i + 1]]
        elif argv[i] == "--":
            break
        i += 1
    opts = ap.parse_args(argv)

    try:
        sys.stdout.reconfigure(errors="replace")
    except AttributeError:
        pass

    equeryc = opts.equeryc
    if os.sep in equeryc or (os.altsep and os.altsep in equeryc):
        equeryc = os.path.abspath(equeryc)
    if not os.path.isdir(opts.dir):
        print("golden.py: no such directory: %s" % opts.dir, file=sys.stderr)
        return 2
    try:
        extra = shlex.split(opts.args)
    except ValueError as e:
        print("golden.py: bad --args: %s" % e, file=sys.stderr)
        return 2

    runner = Runner(equeryc, extra, opts.timeout)
    runner.traces = os.path.abspath(opts.traces) if opts.traces else None
    runner.shared = os.path.abspath(opts.shared) if opts.shared else None
    update = opts.update or env_update()
    res = Result()
    directory = os.path.abspath(opts.dir)
    MODES[opts.mode](runner, directory, update, set(opts.names), res)
    if opts.mode == "same":
        known = {d for d in os.listdir(directory)
                 if os.path.isdir(os.path.join(directory, d))}
    elif opts.mode == "run":
        known = set(run_stems(directory))
    else:
        known = set(eq_stems(directory))
    for name in sorted(set(opts.names) - known):
        res.fail(name, "no such case in %s" % opts.dir)

    if res.passed + res.failed + res.skipped == 0:
        # An empty run is a failure: it most likely means a wrong --dir.
        print("FAIL %s: no test cases found" % opts.dir)
        res.failed = 1
    if res.updated:
        print("golden %s: updated %d expected file(s)" % (opts.mode, res.updated))
    print("golden %s: %d passed, %d failed%s" % (opts.mode, res.passed, res.failed,
                                               ", %d skipped" % res.skipped if res.skipped else ""))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
