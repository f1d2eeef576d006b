query q1 = Select(saddr, daddr) Where(proto == tcp & SYN & ~ACK);
query q2 = Select(saddr, daddr) Where(RST | FIN);
