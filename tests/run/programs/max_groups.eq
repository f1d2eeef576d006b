# Groups beyond --max-groups are dropped (their packets are not measured);
# a query without Groupby has one group and is never cut.
query per_src = Select(saddr, COUNT(*) AS packets, MIN(ts) AS first)
                Groupby(saddr) Every(500ms);
query all = Select(pkts, SUM(pkt_len) AS bytes) Every(500ms);
