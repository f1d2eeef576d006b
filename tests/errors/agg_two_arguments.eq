query q1 = Select(daddr, MAX(pkt_len, ip_len)) Groupby(daddr) Every(1s);
