query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(1s);
event busy = q1.n > 100;
query q2 = Select(daddr, dport) Where(busy) When(busy);
