query lan = Select(saddr, daddr) Where(saddr in 10.1.2.3/8);
