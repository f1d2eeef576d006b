const LIMIT = pkt_len * 2;

query big = Select(saddr, pkt_len)
            Where(pkt_len > LIMIT);
