query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(1s);
event busy = q1.n > 1000;
event quiet = q1.n < 10;
query q2 = Select(daddr, dport) Where(saddr == busy.saddr) When(busy | quiet) Within(10s);
