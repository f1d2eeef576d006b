query q1 = Select(saddr, COUNT(*) AS n) Where(n > 5) Groupby(saddr) Every(1s);
