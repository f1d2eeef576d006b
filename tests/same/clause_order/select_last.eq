query q1 = Every(5s) Within(1min) Start(+1s) Groupby(saddr) Where(proto == tcp) Select(saddr, COUNT(*) AS n);
event e1 = q1.n > 10;
query q2 = Within(10s) When(e1) Where(saddr == e1.saddr) Select(daddr);
