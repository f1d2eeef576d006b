# A packet field outside Groupby compared with an aggregate.
query per_host = Select(saddr, COUNT(*) AS packets)
                 Where(SUM(pkt_len) > sport)
                 Groupby(saddr)
                 Every(1s);
