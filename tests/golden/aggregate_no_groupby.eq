# Aggregate queries without Groupby: one group, one row per window.
query total = Select(COUNT(*), SUM(pkt_len), AVG(pkt_len)) Every(1s);

# A flow field alone makes the query an aggregate query.
query load_all = Select(load, pkts);

# An aggregate only in Where (having) makes it an aggregate query too.
query busy = Select(pkts) Where(COUNT(*) > 1000) Every(1s);
