# Where conjuncts on aggregates or flow fields test result rows (having);
# the others filter packets before aggregation.
query heavy = Select(saddr, COUNT(*) AS n, SUM(pkt_len) AS bytes)
              Where(proto == tcp & COUNT(*) > 100 & dport != 22 & SUM(pkt_len) >= 1000000)
              Groupby(saddr)
              Every(1s);

# Flow fields in having; a disjunction at one level.
query lossy = Select(saddr, daddr, loss, pkts)
              Where(proto == tcp & (loss > 10 | pkts > 100000) & load > 1Gbps)
              Groupby(saddr, daddr)
              Every(1s);

# A key field in a having conjunct is per group.
query per_port = Select(dport, COUNT(*) AS n)
                 Where(dport < 1024 & COUNT(DISTINCT saddr) > 10 & (dport == 80 | COUNT(*) > 5))
                 Groupby(dport)
                 Every(5s);

# Aggregate arithmetic in having.
query big_avg = Select(saddr, AVG(pkt_len) AS mean)
                Where(SUM(pkt_len) / COUNT(*) > 1000.5)
                Groupby(saddr)
                Every(1s);
