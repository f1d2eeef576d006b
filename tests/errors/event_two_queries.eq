query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(1s);
query q2 = Select(daddr, COUNT(*) AS n) Groupby(daddr) Every(1s);
event both = q1.n > 100 & q2.n > 100;
