# One row per packet: a later version will use a ring buffer.
query resets = Select(ts, saddr, daddr, flgs) Where(proto == tcp & RST);
