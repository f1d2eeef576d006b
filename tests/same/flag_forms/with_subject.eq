query q1 = Select(saddr, daddr) Where(proto == tcp & flgs & SYN & ~ACK);
query q2 = Select(saddr, daddr) Where(flgs & (RST | FIN));
