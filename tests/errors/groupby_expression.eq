query q1 = Select(COUNT(*) AS n) Groupby(pkt_len / 100) Every(1s);
