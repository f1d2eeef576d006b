query q1 = Select(saddr, daddr) Where(~(dport == 80 | proto == udp));
query q2 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(1s);
event e2 = ~(0 == q2.n);
