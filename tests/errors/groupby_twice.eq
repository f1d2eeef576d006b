query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr, daddr, saddr) Every(1s);
