query q1 = Select(saddr) Where(80 == dport & 100 < pkt_len & 64 >= sttl);
query q2 = Select(saddr, COUNT(*) AS n) Where(10 <= COUNT(*)) Groupby(saddr) Every(1s);
event e2 = 1000 > q2.n;
