query q1 = Select(saddr, (SUM(pkt_len) * 8) AS bits) Where((proto == tcp & dport == 80) | (proto == udp & dport == 53)) Groupby(saddr) Every(1s);
event e1 = (q1.bits > 1000000 & q1.bits < 2000000);
