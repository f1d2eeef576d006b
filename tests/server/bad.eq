# a program with a mistake on line 3
query q = Select(saddr, daddr, pkts)
          Where(proto == tcp & payload_lenn > 0)
          Groupby(saddr, daddr) Every(1s);
