query q1 = Select(saddr, daddr, pkts)
           Where(pkts > 100 | proto == udp)
           Groupby(saddr, daddr)
           Every(1s);
