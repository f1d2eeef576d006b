query q1 = Select(saddr, daddr) Where(dport in {80, 10.0.0.1});
