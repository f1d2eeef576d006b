# Benchmark: filter and count (one group, one window for the whole run).
query web = Select(COUNT(*) AS packets, SUM(pkt_len) AS bytes) Where(proto == tcp & dport == 80);
