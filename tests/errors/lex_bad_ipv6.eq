query q1 = Select(daddr, dport) Where(saddr == 2001:db8::1::2);
