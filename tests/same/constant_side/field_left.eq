query q1 = Select(saddr) Where(dport == 80 & pkt_len > 100 & sttl <= 64);
query q2 = Select(saddr, COUNT(*) AS n) Where(COUNT(*) >= 10) Groupby(saddr) Every(1s);
event e2 = q2.n < 1000;
