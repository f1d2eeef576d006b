# Per-connection loss, both directions in one row.
query conn = Select(saddr, daddr, sport, dport, spkts, dpkts, sloss, dloss, loss, flgs)
             Where(proto == tcp)
             Groupby(saddr, daddr, sport, dport);
