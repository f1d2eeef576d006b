query per_pair = Select(saddr, daddr, COUNT(*) AS packets)
                 Groupby(saddr, daddr)
                 Every(1s);

event lossy = per_pair.retransmissions > 20;
