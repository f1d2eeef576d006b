query q1 = Select(daddr, SUM(saddr) AS total) Groupby(daddr) Every(1s);
