query q1 = Select(saddr, MAX(pkt_len), MAX(pkt_len)) Groupby(saddr) Every(1s);
