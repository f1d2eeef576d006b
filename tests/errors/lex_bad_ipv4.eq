query q1 = Select(daddr, dport) Where(saddr == 300.1.1.1);
