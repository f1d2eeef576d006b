query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) When(e1) Every(1s);
event e1 = q1.n > 100;
