query q1 = Select(saddr, daddr) Where(daddr == 2001:db8::g1);
