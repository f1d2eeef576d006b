query q1 = Select(saddr) Where(dport in {80} & ~(pkt_len <= 100) & ~(64 < sttl));
query q2 = Select(saddr, COUNT(*) AS n) Where(~(COUNT(*) < 10)) Groupby(saddr) Every(1s);
event e2 = ~(q2.n >= 1000);
