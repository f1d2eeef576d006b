#!/usr/bin/env bash
# The cost of the ClickHouse store (docs/db.md "ClickHouse",
# docs/performance.md): the same runs side by side, in one go, with CSV to
# /dev/null, with --db FILE added (a new SQLite file each time), and with
# --clickhouse URL added (a new database each time), over the bench traces
# (bench/gen_bench.py: 100,000 5-tuples). The ClickHouse server is Debian's
# clickhouse-server, started for the benchmark in a temporary folder on a
# free loopback port (tests/store/clickhouse_store.py's Server) and stopped
# at the end. Wall time and CPU (user + system) of equery-run, best wall of
# N (default 5); the server's CPU is not in it. Rows/s is rows over wall
# time: the run ends when the writer has sent everything, so it is the
# store's insert rate once the packets are read. "INSERT rows/s" is the rows
# over the time the INSERT requests themselves took (equery-run --verbose
# says it), the server's side of it.
#
#   bash bench/clickhouse_bench.sh [BUILD_DIR]      (N=... for the number of runs)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build}"
cd "$repo"
[ -x "$build/equery-run" ] || bash scripts/build.sh "$build" >/dev/null
traces="$build/bench-traces"
[ -f "$traces/small64.pcap" ] || python3 bench/gen_bench.py "$traces"
N="${N:-5}" python3 - "$build" "$traces" <<'PY'
import os, re, resource, shutil, subprocess, sys, tempfile, time
sys.path.insert(0, "tests/store")
from clickhouse_store import Server  # noqa: E402

build, traces = sys.argv[1], sys.argv[2]
n = int(os.environ["N"])
programs = [("5-tuple Groupby, one window (100k groups)", "bench/groupby_5tuple.eq"),
            ("5-tuple Groupby, Every(10ms)", "bench/groupby_5tuple_10ms.eq")]
work = tempfile.mkdtemp(prefix="ch-bench.", dir=build)
server = Server(work)
try:
    server.start()
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"Model name:\s*(.*)", lscpu).group(1)
    print("machine: %s, %d vCPUs; %s; clickhouse-server %s; best of %d" % (
        model, os.cpu_count(), os.uname().release, server.query("SELECT version()").strip(), n))
    print()
    print("| program | trace | rows | CSV wall s | --db wall s | --clickhouse wall s | --clickhouse CPU s "
          "| --db rows/s | --clickhouse rows/s | INSERT rows/s | ClickHouse / CSV | ClickHouse / SQLite |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    k = 0

    def best(cmd, before):
        res = []
        for _ in range(n):
            before()
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wall = time.monotonic() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if r.returncode:
                sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr.decode()))
            cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
            ins = re.search(rb"ClickHouse: (\d+) rows in \d+ inserts, ([0-9.]+) s", r.stderr)
            res.append((wall, cpu, int(re.search(rb"rows (\d+)", r.stderr).group(1)),
                        int(ins.group(1)) / float(ins.group(2)) if ins else 0))
        return min(res)

    for name, prog in programs:
        bundle = os.path.join(work, os.path.basename(prog)[:-3])
        subprocess.run([build + "/equeryc", "-o", bundle, prog], check=True, stdout=subprocess.DEVNULL)
        for t in ("small64", "mixed"):
            base = [build + "/equery-run", bundle, "--pcap", "%s/%s.pcap" % (traces, t), "--format", "csv",
                    "--no-progress", "-o", "/dev/null"]
            sq = os.path.join(work, "b.sqlite")

            def fresh_sqlite():
                for s in ("", "-wal", "-shm"):
                    if os.path.exists(sq + s):
                        os.remove(sq + s)

            def fresh_db():
                server.query("DROP DATABASE IF EXISTS bench")

            csv = best(base, lambda: None)
            lite = best(base + ["--db", sq], fresh_sqlite)
            ch = best(base + ["--clickhouse", server.url + "?database=bench", "--verbose"], fresh_db)
            held = int(server.query("SELECT count() FROM flows", "bench"))
            if not csv[2] == lite[2] == ch[2] == held:
                sys.exit("rows differ: CSV %d, --db %d, --clickhouse %d, ClickHouse holds %d" % (
                    csv[2], lite[2], ch[2], held))
            print("| %s | %s | %d | %.3f | %.3f | %.3f | %.3f | %.0f | %.0f | %.0f | %.2fx | %.2fx |" % (
                name, t, csv[2], csv[0], lite[0], ch[0], ch[1], lite[2] / lite[0], ch[2] / ch[0], ch[3],
                ch[0] / csv[0], ch[0] / lite[0]))
            sys.stdout.flush()
finally:
    server.stop()
    server.kill()
    shutil.rmtree(work, ignore_errors=True)
PY
