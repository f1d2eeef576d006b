query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Within(-1s) Every(1s);
