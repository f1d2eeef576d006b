query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) When(e2) Every(1s);
event e1 = q1.n > 100;
query q2 = Select(daddr, COUNT(*) AS n) Groupby(daddr) When(e1) Every(1s);
event e2 = q2.n > 100;
