query q1 = Select(saddr, daddr) Where(saddr in {80, 443});
