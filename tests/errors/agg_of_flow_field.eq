query q1 = Select(saddr, daddr, SUM(pkts) AS total) Groupby(saddr, daddr) Every(1s);
