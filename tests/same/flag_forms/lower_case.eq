query q1 = Select(saddr, daddr) Where(proto == tcp & (flgs & syn) & ~(flgs & ack));
query q2 = Select(saddr, daddr) Where(flgs & rst | flgs & fin);
