query q1 = Select(saddr, daddr) Where(dport);
