query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(1s);
query q2 = Select(daddr, dport) Where(saddr == q1.saddr);
