query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(1s);
event odd = q1.saddr > 100;
