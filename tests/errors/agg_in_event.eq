query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(1s);
event busy = SUM(q1.n) > 100;
