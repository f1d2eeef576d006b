query q1 = Select(saddr, daddr) Where(saddr == 10.0.0.0/8);
