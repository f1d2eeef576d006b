# Aggregate queries with Groupby: one row per group per window.
query per_host = Select(saddr, COUNT(*) AS packets, SUM(pkt_len) AS bytes)
                 Where(proto == tcp)
                 Groupby(saddr)
                 Every(1s);

# Keys in another order than the Select; a key that is not selected.
query per_service = Select(dport, daddr, COUNT(DISTINCT saddr) AS clients)
                    Groupby(daddr, dport, proto)
                    Every(10s);

# An s-attribute as a key is a plain per-packet value.
query per_ttl = Select(sttl, COUNT(*)) Groupby(sttl) Every(5s);
