query q1 = Select(saddr, daddr) Where(tcp_seq == 99999999999999999999);
