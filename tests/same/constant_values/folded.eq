# Constant arithmetic and comparisons that fold away.
query q1 = Select(saddr, COUNT(*) AS n, load) Where(pkt_len > 1000 + 500 & dport == 8000 + 80 & 1 < 2) Groupby(saddr) Every(1.5s) Within(1min);
event e1 = q1.load > 0.08Gbps & q1.n > 20 / 2 | 1 > 2;
