query q1 = Select(saddr, COUNT(*) AS n)
           Where(dport == 80 | COUNT(*) > 100)
           Groupby(saddr)
           Every(1s);
