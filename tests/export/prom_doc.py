#!/usr/bin/env python3
"""prom_doc.py REPO [--update]: docs/export.md's table of Prometheus
metrics is the one export/prom_metrics.def gives (the families, their
types, labels and help, written once there). Without --update a
difference fails and is printed; with it the table is rewritten."""
import difflib
import os
import re
import sys

BEGIN = "<!-- prom-metrics: generated from export/prom_metrics.def (tests/export/prom_doc.py --update) -->"
END = "<!-- end prom-metrics -->"


def families(repo):
    """[(name, type, labels, help)] from the .def, in order."""
    text = open(os.path.join(repo, "export", "prom_metrics.def")).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    rx = r'METRIC\(\s*\w+\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*"([^"]*)"\s*,\s*"([^"]*)"\s*\)'
    return [(n, t.lower(), l, h) for n, t, l, h in re.findall(rx, text, flags=re.S)]


def table(fams):
    lines = ["| metric | type | labels | what it counts |", "|---|---|---|---|"]
    for n, t, l, h in fams:
        labels = ", ".join("`%s`" % x for x in l.split(",")) if l else ""
        lines.append("| `%s` | %s | %s | %s |" % (n, t, labels, h.replace("|", "\\|")))
    return "\n".join(lines)


def main():
    repo = sys.argv[1]
    update = "--update" in sys.argv[2:]
    fams = families(repo)
    if len(fams) < 10:
        print("FAIL export/prom_metrics.def: only %d families read" % len(fams))
        return 1
    path = os.path.join(repo, "docs", "export.md")
    doc = open(path).read()
    if BEGIN not in doc or END not in doc:
        print("FAIL docs/export.md has no %s ... %s section" % (BEGIN, END))
        return 1
    head, rest = doc.split(BEGIN, 1)
    old, tail = rest.split(END, 1)
    new = "\n" + table(fams) + "\n"
    if old == new:
        print("PASS docs/export.md's metrics table is export/prom_metrics.def's (%d families)" % len(fams))
        return 0
    if update:
        open(path, "w").write(head + BEGIN + new + END + tail)
        print("updated docs/export.md")
        return 0
    print("FAIL docs/export.md's metrics table differs from export/prom_metrics.def's "
          "(tests/export/prom_doc.py REPO --update rewrites it):")
    sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "docs/export.md", "def"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
