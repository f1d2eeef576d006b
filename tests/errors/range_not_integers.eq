query q1 = Select(saddr, daddr) Where(saddr in 10.0.0.1..10.0.0.9);
