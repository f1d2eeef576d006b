query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Within(2s) Every(5s);
