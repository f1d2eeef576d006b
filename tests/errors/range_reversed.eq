query q1 = Select(saddr, daddr) Where(dport in 65535..1024);
