query q1 = Select(saddr) Where(pkt_len >= 100 & sport < 1024 & (proto != tcp | dport != 80));
query q2 = Select(saddr) Where(~(saddr in 10.0.0.0/8) & ~(dport in {22, 23}));
