query q1 = Select(saddr, pkt_len, pkts);
