query q1 = Select(daddr, COUNT(DISTINCT *) AS n) Groupby(daddr) Every(1s);
