#!/usr/bin/env python3
"""komon_results.py - KOMon result files (docs/komon.md).

  join     turn one run's raw probe samples (equery-komon intervals --out),
           the VNF's ground truth (komon-vnf --log) and the receive-queue
           readings (--buffer) into KERNEL_*, VNF_*, BUFFER_* (the original
           KOMon's formats) and QUEUE_* (the probe's per-sample fill).
  analyze  print a table per result folder: kernel and VNF means and
           medians, kernel - VNF (mean, median, standard deviation), the
           share of sampled packets matched, the buffer fill. Works on the
           original's published data too (../shared/komon-reference).
  plot     kernel vs VNF figures (python3-matplotlib).
  check    what the probe guarantees, packet by packet, against the VNF's
           (and the generator's) own records of the same packets; exit 1
           with every violation listed. What the tests assert: no timing
           threshold, so machine noise cannot make it pass or fail.
"""
import argparse
import glob
import os
import re
import statistics
import sys

NAME_RE = re.compile(r"KERNEL_(\d+)pps_(\d+)byte_([0-9.]+)_(\d+)_(\d+)_(\d+)_(\d+)\.log$")


def fmt_sleep(s):
    return s


def cmd_join(a):
    vnf = {}
    with open(a.vnf) as f:
        for line in f:
            # head;proc_ns[;t_recv;t_send;t_sent]
            p = line.strip().split(";")
            if len(p) >= 2 and p[0] not in vnf:
                vnf[p[0]] = int(p[1])
    samples = []
    with open(a.kernel) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            interval, seq, slot, proc, sock_buf, queued, length, head, ts = line.strip().split(";")
            samples.append((int(interval), int(seq), int(proc), int(sock_buf), int(queued), head))
    samples.sort()
    # the original numbers intervals from 1 in each file
    first = {}
    for s in samples:
        first.setdefault(s[0], len(first) + 1)
    name = f"{a.load}pps_{a.size}byte_{a.sleep}_{a.delay}_{a.intervals}_{a.packets}_{a.rep}.log"
    try:
        sleep_int = int(float(a.sleep))
    except ValueError:
        sleep_int = 0
    os.makedirs(a.out, exist_ok=True)
    unmatched_vnf = 0
    with open(os.path.join(a.out, "KERNEL_" + name), "w") as k, \
            open(os.path.join(a.out, "VNF_" + name), "w") as v, \
            open(os.path.join(a.out, "QUEUE_" + name), "w") as q:
        for i, (interval, seq, proc, sock_buf, queued, head) in enumerate(samples, 1):
            iv = first[interval]
            k.write(f"{i};{iv};{seq};{a.load};{a.size};{a.sleep};{a.delay};{proc}\n")
            q.write(f"{i};{iv};{seq};{sock_buf};{queued}\n")
            if head in vnf:
                v.write(f"{i};{iv};{seq - 1};{a.load};{a.size};{sleep_int};{a.delay};{vnf[head]}\n")
            else:
                unmatched_vnf += 1
    with open(a.buffer) as src, open(os.path.join(a.out, "BUFFER_" + name), "w") as dst:
        dst.write(src.read())
    if a.inflight:
        # sampled packets never seen leaving: did the VNF get them at all?
        lost = received = 0
        with open(a.inflight) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                lost += 1
                received += line.strip().split(";")[3] in vnf
        with open(os.path.join(a.out, "LOST_" + name), "w") as f:
            f.write(f"{lost};{received}\n")
    wanted = a.intervals * a.packets
    print(f"komon_results: {name}: {len(samples)} of {wanted} sampled packets measured, "
          f"{len(samples) - unmatched_vnf} with the VNF's own time", file=sys.stderr)
    return 0


def read_samples(path):
    """equery-komon read (or follow, or EQUERY_KOMON_SAMPLES) lines."""
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            p = line.strip().split(";")
            out.append(dict(interval=int(p[0]), seq=int(p[1]), slot=int(p[2]), proc=int(p[3]),
                            sock_buf=int(p[4]), queued=int(p[5]), len=int(p[6]), head=p[7], ts_out=int(p[8])))
    return out


def cmd_check(a):
    """Per packet, with the probe's timestamps and the endpoints' on the same
    clock (CLOCK_MONOTONIC):
      matched   every sample is a packet the VNF read (and the generator sent)
      order     gen t_send <= ts_in <= VNF t_recv, VNF t_send <= ts_out <= VNF t_sent:
                the probe saw the packet enter after it was sent and before the
                VNF read it, and leave inside the VNF's sendto
      vnf       kernel time >= the VNF's own time for the packet
      queue     the `queued` datagrams the probe saw ahead of the packet are the
                ones the VNF read just before it, each read after the packet
                arrived: kernel time >= the VNF's time on them and on the
                packet (the probe reads the queue after ts_in and can only
                count fewer, komon.bpf.c)"""
    samples = read_samples(a.kernel)
    recs, index = [], {}
    with open(a.vnf) as f:
        for line in f:
            p = line.strip().split(";")
            if len(p) < 5:
                print(f"komon_results check: {a.vnf}: want head;proc_ns;t_recv;t_send;t_sent lines", file=sys.stderr)
                return 2
            index.setdefault(p[0], len(recs))
            recs.append((int(p[1]), int(p[2]), int(p[3]), int(p[4])))
    gen = {}
    if a.gen:
        with open(a.gen) as f:
            for line in f:
                p = line.strip().split(";")
                if len(p) >= 2:
                    gen.setdefault(p[0], int(p[1]))
    bad = []
    diffs, waits = [], []
    for s in samples:
        what = f"sample interval {s['interval']} seq {s['seq']} head {s['head']}"
        ts_in = s["ts_out"] - s["proc"]
        if a.gen and s["head"] not in gen:
            bad.append(f"{what}: not a packet the generator sent")
        i = index.get(s["head"])
        if i is None:
            bad.append(f"{what}: no VNF record of this packet")
            continue
        vproc, t_recv, t_send, t_sent = recs[i]
        if a.gen and s["head"] in gen and ts_in < gen[s["head"]]:
            bad.append(f"{what}: enters the stack at {ts_in}, before the generator sent it at {gen[s['head']]}")
        if ts_in > t_recv:
            bad.append(f"{what}: enters the stack at {ts_in}, after the VNF read it at {t_recv}")
        if not t_send <= s["ts_out"] <= t_sent:
            bad.append(f"{what}: leaves at {s['ts_out']}, outside the VNF's sendto [{t_send}, {t_sent}]")
        if s["proc"] < vproc:
            bad.append(f"{what}: kernel time {s['proc']} ns below the VNF's own {vproc} ns")
        q = s["queued"]
        ahead = recs[max(0, i - q):i]
        late = sum(1 for r in ahead if r[1] >= ts_in)
        if i < q or late < q:
            bad.append(f"{what}: the probe saw {q} datagrams queued ahead, but of the {len(ahead)} the VNF read "
                       f"just before it only {late} were read after it arrived")
        busy = vproc + sum(r[0] for r in ahead)
        if s["proc"] < busy:
            bad.append(f"{what}: kernel time {s['proc']} ns below the VNF's time on it and the {q} queued ahead "
                       f"({busy} ns)")
        diffs.append(s["proc"] - vproc)
        waits.append(t_recv - ts_in)
    if a.expect is not None and len(samples) != a.expect:
        bad.append(f"{len(samples)} samples, want {a.expect}")
    if not samples:
        bad.append("no samples")
    for b in bad[:20]:
        print("FAIL: " + b)
    if len(bad) > 20:
        print(f"FAIL: ... and {len(bad) - 20} more")
    if diffs:
        d = sorted(diffs)
        print(f"komon_results check: {len(samples)} samples, {len(bad)} violations; "
              f"kernel - VNF median {statistics.median(d) / 1e3:.1f} us, p90 {d[int(0.9 * (len(d) - 1))] / 1e3:.1f} us, "
              f"max {d[-1] / 1e3:.1f} us; queued ahead max {max(s['queued'] for s in samples)} (figures only, not asserted)")
    return 1 if bad else 0


def read_rows(path):
    rows = {}
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            p = line.strip().split(";")
            if len(p) >= 8:
                rows[int(p[0])] = int(p[7])
    return rows


def summarize(folder):
    out = []
    for kpath in sorted(glob.glob(os.path.join(folder, "KERNEL_*.log"))):
        m = NAME_RE.search(os.path.basename(kpath))
        if not m:
            continue
        load, size, sleep, delay, intervals, packets, rep = m.groups()
        kern = read_rows(kpath)
        vnf = read_rows(kpath.replace("KERNEL_", "VNF_"))
        common = sorted(set(kern) & set(vnf))
        diffs = [kern[i] - vnf[i] for i in common]
        buf = []
        bpath = kpath.replace("KERNEL_", "BUFFER_")
        if os.path.exists(bpath):
            with open(bpath) as f:
                buf = [int(line.split(";")[1]) for line in f if ";" in line]
        qb, qd, qsn = [], [], {}
        qpath = kpath.replace("KERNEL_", "QUEUE_")
        if os.path.exists(qpath):
            with open(qpath) as f:
                for line in f:
                    p = line.strip().split(";")
                    qb.append(int(p[3]))
                    qd.append(int(p[4]))
                    qsn[int(p[0])] = int(p[4])
        drops = None
        spath = kpath.replace("KERNEL_", "SNMP_")
        if os.path.exists(spath):
            with open(spath) as f:
                lines = [line.split() for line in f]
            if len(lines) >= 2 and "RcvbufErrors" in lines[0]:
                drops = int(lines[1][lines[0].index("RcvbufErrors")])
        lost = None
        lpath = kpath.replace("KERNEL_", "LOST_")
        if os.path.exists(lpath):
            with open(lpath) as f:
                lost = f.read().strip().replace(";", " / ")
        kv = list(kern.values())
        vv = [vnf[i] for i in common]
        # kernel - VNF for the samples that found the queue empty: no
        # waiting behind other datagrams, only the stack, the wake-up and
        # the system calls
        d0 = [kern[i] - vnf[i] for i in common if qsn.get(i, -1) == 0]
        out.append(dict(
            load=int(load), size=int(size), delay=int(delay), wanted=int(intervals) * int(packets),
            n=len(kern), joined=len(common),
            k_mean=statistics.mean(kv) / 1e3 if kv else float("nan"),
            k_med=statistics.median(kv) / 1e3 if kv else float("nan"),
            v_mean=statistics.mean(vv) / 1e3 if vv else float("nan"),
            v_med=statistics.median(vv) / 1e3 if vv else float("nan"),
            d_mean=statistics.mean(diffs) / 1e3 if diffs else float("nan"),
            d_med=statistics.median(diffs) / 1e3 if diffs else float("nan"),
            d_std=statistics.pstdev(diffs) / 1e3 if len(diffs) > 1 else float("nan"),
            d_mad=1.4826 * statistics.median([abs(x - statistics.median(diffs)) for x in diffs]) / 1e3
            if diffs else float("nan"),
            d_p90=sorted(diffs)[int(0.9 * (len(diffs) - 1))] / 1e3 if diffs else float("nan"),
            d_p99=sorted(diffs)[int(0.99 * (len(diffs) - 1))] / 1e3 if diffs else float("nan"),
            buf_mean=statistics.mean(buf) if buf else float("nan"),
            buf_max=max(buf) if buf else float("nan"),
            qb_mean=statistics.mean(qb) if qb else float("nan"),
            qd_mean=statistics.mean(qd) if qd else float("nan"),
            qd_max=max(qd) if qd else float("nan"),
            d0_n=len(d0), d0_med=statistics.median(d0) / 1e3 if d0 else float("nan"),
            d0_std=statistics.pstdev(d0) / 1e3 if len(d0) > 1 else float("nan"),
            drops=drops, lost=lost, kern=kv, vnf=vv, diffs=diffs))
    out.sort(key=lambda r: (r["load"], r["delay"]))
    return out


def cmd_analyze(a):
    for folder in a.folders:
        rows = summarize(folder)
        print(f"## {folder}")
        print("| load pps | delay us | matched | kernel mean/median us | VNF mean/median us "
              "| kernel-VNF mean / median / stddev us | 1.4826 MAD / p90 / p99 us | queue empty: n, median / stddev us "
              "| BUFFER_ mean/max B | probe fill mean B / mean,max dgrams | socket drops "
              "| unmatched / of them received by the VNF |")
        print("|---:|---:|---:|---|---|---|---|---|---|---|---:|---|")
        for r in rows:
            share = f"{r['n']}/{r['wanted']} ({100.0 * r['n'] / r['wanted']:.1f}%)"
            q = "-" if r["qb_mean"] != r["qb_mean"] else \
                f"{r['qb_mean']:.0f} / {r['qd_mean']:.2f}, {r['qd_max']}"
            print(f"| {r['load']} | {r['delay']} | {share} | {r['k_mean']:.1f} / {r['k_med']:.1f} "
                  f"| {r['v_mean']:.1f} / {r['v_med']:.1f} "
                  f"| {r['d_mean']:.2f} / {r['d_med']:.2f} / {r['d_std']:.2f} "
                  f"| {r['d_mad']:.2f} / {r['d_p90']:.1f} / {r['d_p99']:.1f} "
                  f"| {r['d0_n']}: {r['d0_med']:.2f} / {r['d0_std']:.2f} "
                  f"| {r['buf_mean']:.0f} / {r['buf_max']} | {q} | {'-' if r['drops'] is None else r['drops']} "
                  f"| {r['lost'] or '-'} |")
        print()
    return 0


def cmd_plot(a):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summarize(a.folder)
    if a.kind == "delays":
        rows = [r for r in rows if r["kern"]]
        fig, axes = plt.subplots(1, len(rows), figsize=(3 * len(rows), 3.6), squeeze=False)
        for ax, r in zip(axes[0], rows):
            ax.boxplot([[x / 1e3 for x in r["vnf"]], [x / 1e3 for x in r["kern"]]],
                       labels=["VNF", "KOMon"], showfliers=False)
            ax.set_title(f"delay {r['delay']} us")
            ax.set_ylabel("processing time (us)")
        fig.suptitle(f"{a.title}: kernel (KOMon) vs VNF-reported processing time")
    else:
        rows = [r for r in rows if r["kern"]]
        loads = [r["load"] / 1e3 for r in rows]
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
        ax1.plot(loads, [r["k_mean"] for r in rows], "o-", label="KOMon mean")
        ax1.plot(loads, [r["k_med"] for r in rows], "s--", label="KOMon median")
        ax1.plot(loads, [r["v_mean"] for r in rows], "^-", label="VNF mean")
        ax1.set_xlabel("load (kpps)")
        ax1.set_ylabel("processing time (us)")
        ax1.set_yscale("log")
        ax1.legend()
        ax1.set_title(a.title)
        ax2.plot(loads, [r["qd_mean"] for r in rows], "o-", label="datagrams queued ahead (probe, mean)")
        ax2.plot(loads, [100.0 * r["n"] / r["wanted"] for r in rows], "s--", label="sampled packets matched (%)")
        ax2.set_xlabel("load (kpps)")
        ax2.set_yscale("symlog")
        ax2.legend()
        ax2.set_title("buffer fill and matched share")
    fig.tight_layout()
    fig.savefig(a.output, dpi=90)
    print(f"komon_results: wrote {a.output}", file=sys.stderr)
    return 0


def cmd_overhead(a):
    """Summarizes overhead.sh's output: replies/s per mode, and the probe's
    cost per invocation from the kernel's BPF statistics."""
    pps = {0: [], 1: [], 2: []}
    cost = {1: {}, 2: {}}
    with open(a.log) as f:
        for line in f:
            p = line.strip().split(";")
            if len(p) < 3 or not p[0].isdigit() or not p[2].isdigit():
                continue
            mode = int(p[1])
            pps[mode].append(int(p[2]))
            if mode and len(p) >= 5:
                w = p[4].split()
                # "komon_ingress 51 ns x 2628141 komon_egress ..." (one probe: the first pair)
                for i in range(0, min(len(w), 10), 5):
                    cost[mode].setdefault(w[i], []).append((int(w[i + 1]), int(w[i + 4])))
    names = {0: "no probe", 1: "probe attached, no interval", 2: "probe sampling (intervals of 100, 10 ms apart)"}
    print("| mode | replies/s median | min | max | runs |")
    print("|---|---:|---:|---:|---:|")
    for m in (0, 1, 2):
        v = sorted(pps[m])
        if v:
            print(f"| {names[m]} | {statistics.median(v):.0f} | {v[0]} | {v[-1]} | {len(v)} |")
    print()
    print("| mode | program | ns per run (weighted mean) | runs |")
    print("|---|---|---:|---:|")
    for m in (1, 2):
        for name, runs in sorted(cost[m].items()):
            total = sum(c for _, c in runs)
            ns = sum(t * c for t, c in runs) / total if total else float("nan")
            print(f"| {names[m]} | {name} | {ns:.0f} | {total} |")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    j = sub.add_parser("join")
    j.add_argument("--kernel", required=True)
    j.add_argument("--vnf", required=True)
    j.add_argument("--buffer", required=True)
    j.add_argument("--out", required=True)
    j.add_argument("--inflight")
    for name in ("intervals", "packets", "load", "size", "delay", "rep"):
        j.add_argument("--" + name, type=int, required=True)
    j.add_argument("--sleep", required=True)
    an = sub.add_parser("analyze")
    an.add_argument("folders", nargs="+")
    pl = sub.add_parser("plot")
    pl.add_argument("kind", choices=["delays", "loads"])
    pl.add_argument("folder")
    pl.add_argument("output")
    pl.add_argument("--title", default="")
    ov = sub.add_parser("overhead")
    ov.add_argument("log")
    ck = sub.add_parser("check")
    ck.add_argument("--kernel", required=True, help="samples: equery-komon read/follow, or EQUERY_KOMON_SAMPLES")
    ck.add_argument("--vnf", required=True, help="komon-vnf --log")
    ck.add_argument("--gen", help="komon-gen --log")
    ck.add_argument("--expect", type=int, help="the number of samples wanted")
    a = ap.parse_args()
    return {"join": cmd_join, "analyze": cmd_analyze, "plot": cmd_plot, "overhead": cmd_overhead,
            "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
