query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(5);
