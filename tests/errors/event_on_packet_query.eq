# Events watch an aggregate query; this one is a packet query.
query big = Select(saddr, pkt_len) Where(pkt_len > 1400);
event jumbo = big.pkt_len > 9000;
