query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) When(e2) Every(1s);
event e1 = q1.n > 100;
query q2 = Select(saddr, COUNT(*) AS n) Groupby(saddr) When(e1 | ~e1) Every(1s);
event e2 = q2.n > 10 & q2.n < e1.n;
query q3 = Select(saddr) Where(COUNT(*) > 10 | dport == 80);
