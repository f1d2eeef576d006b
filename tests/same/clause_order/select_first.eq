query q1 = Select(saddr, COUNT(*) AS n) Where(proto == tcp) Groupby(saddr) Start(+1s) Within(1min) Every(5s);
event e1 = q1.n > 10;
query q2 = Select(daddr) Where(saddr == e1.saddr) When(e1) Within(10s);
