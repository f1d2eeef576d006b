query q1 = Groupby(saddr) Select(saddr, COUNT(*) AS n) Every(5s) Where(proto == tcp) Within(1min) Start(+1s);
event e1 = q1.n > 10;
query q2 = When(e1) Select(daddr) Within(10s) Where(saddr == e1.saddr);
