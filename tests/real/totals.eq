# Every frame of the capture, IP or not: one row for the whole file.
query totals = Select(pkts, COUNT(*) AS frames, SUM(pkt_len) AS bytes);
