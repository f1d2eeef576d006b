query q1 = Select(daddr, SUM(1) AS n) Groupby(daddr) Every(1s);
