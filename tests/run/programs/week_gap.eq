# The issue's program over a capture with a week of silence between bursts
# (tests/traces/README.md, week_gap): per-target SYN counts every second,
# an event on a busy target, and a drill-down on the sources that hit it.
query syns = Select(daddr, COUNT(*) AS n) Where(proto == tcp & flgs == SYN) Groupby(daddr) Every(1s);
event busy = syns.n > 15;
query sources = Select(saddr, COUNT(*) AS n) Where(daddr == busy.daddr) Groupby(saddr) When(busy) Within(3s) Every(1s);
# a query without Groupby: rows for its empty windows, then one gap record
query total = Select(COUNT(*) AS n, SUM(pkt_len) AS bytes) Every(1s);
