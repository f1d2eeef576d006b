# Start(+offset), absolute Start (future, past, after the input), on
# tcp_retrans (69 packets, 0 .. 1.91 s after launch).
query late = Select(pkts, SUM(pkt_len) AS bytes, load, loss, stime, ltime)
             Start(+500ms) Every(1s);
query at = Select(pkts, SUM(pkt_len) AS bytes, load)
           Start(2026-01-01T00:00:01.25Z) Within(500ms) Every(200ms);
query past = Select(pkts) Start(2025-12-31T23:59:00Z) Every(1s);
query never = Select(pkts) Start(2026-01-01T00:01:00Z);
# loss is decided per packet before any Where and before this query starts:
# frame 38 (1.09 s) retransmits frame 33 (0.94 s), which this query never sees.
query seen_late = Select(pkts, loss) Where(proto == tcp & tcp_seq == 1014001) Start(+1s);
