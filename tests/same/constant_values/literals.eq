# Literal values.
query q1 = Select(saddr, COUNT(*) AS n, load) Where(pkt_len > 1500 & dport == 8080) Groupby(saddr) Every(1500ms) Within(1min);
event e1 = q1.load > 80Mbps & q1.n > 10;
