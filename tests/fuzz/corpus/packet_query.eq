# packet query: one row per matching packet
query syns = Select(ts, saddr, daddr, sport, dport)
             Where(proto == tcp & flgs & SYN & ~ACK & dport in {80, 443})
             Within(10s);
