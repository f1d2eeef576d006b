query q1 = Select(pkts, COUNT(*) AS n) Groupby(pkts) Every(1s);
