# Empty windows during a gap in the traffic: a query without Groupby gives
# one row per window even with no packet; a keyed query gives none.
query g = Select(COUNT(*) AS packets, SUM(pkt_len) AS bytes, pkts, load,
                 MIN(pkt_len) AS smallest, AVG(pkt_len) AS mean, MAX(ts) AS last,
                 COUNT(DISTINCT saddr) AS hosts, flgs)
          Every(100ms);
event quiet = g.packets == 0;
query per_src = Select(saddr, pkts) Groupby(saddr) Every(100ms);
