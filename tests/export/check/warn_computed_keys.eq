# Keys without an element (mid, dscp has one), a MAC pair, and aggregates
# that map (MIN/MAX of ip_len) or do not (AVG, MAX of pkt_len).
query q = Select(smac, dmac, dscp, mid, MIN(ip_len), MAX(ip_len), AVG(ip_len) AS mean, MAX(pkt_len), dir)
          Groupby(smac, dmac, dscp, mid) Every(10s);
