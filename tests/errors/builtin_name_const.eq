const tcp = 1;
query q1 = Select(saddr, daddr) Where(proto == 6);
