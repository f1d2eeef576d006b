query q1 = Select(saddr, COUNT(*) AS n, SUM(pkt_len) AS n) Groupby(saddr) Every(1s);
