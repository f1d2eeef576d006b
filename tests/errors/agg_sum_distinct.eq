query q1 = Select(daddr, SUM(DISTINCT pkt_len) AS sizes) Groupby(daddr) Every(1s);
